import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { restoreSession, SessionProvider } from './session';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
restoreSession().then(
  (initial) =>
    root.render(
      <StrictMode>
        <SessionProvider initial={initial}>
          <App />
        </SessionProvider>
      </StrictMode>,
    ),
  () => undefined,
);
