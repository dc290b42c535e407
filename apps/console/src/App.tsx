import { QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter, Navigate, NavLink, Route, Routes } from 'react-router';
import { newQueryClient } from './queries';
import { pagesFor, type PagePath } from './roles';
import { useSession, useSessionState } from './session';
import { SignIn } from './pages/SignIn';
import { LivePage } from './pages/Live';
import { PeoplePage } from './pages/People';
import { EnrolPage } from './pages/Enrol';
import { HistoryPage } from './pages/History';
import { CompliancePage } from './pages/Compliance';
import { AuditPage } from './pages/Audit';

const COMPONENTS: Record<PagePath, () => React.JSX.Element> = {
  live: LivePage,
  people: PeoplePage,
  enrol: EnrolPage,
  history: HistoryPage,
  compliance: CompliancePage,
  audit: AuditPage,
};

export function App() {
  const { session } = useSessionState();
  return <BrowserRouter basename="/console">{session ? <Shell key={session.token} /> : <SignIn />}</BrowserRouter>;
}

function Shell() {
  const { principal, signOut } = useSession();
  const pages = pagesFor(principal.role);
  // One cache per signed-in session: the shell is mounted anew for each token (its key), so data
  // read under one token is never shown under the next.
  const [queries] = useState(newQueryClient);
  return (
    <QueryClientProvider client={queries}>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <nav className="sidebar" aria-label="Console">
          <div className="brand">Access control</div>
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <NavLink to={`/${p.path}`}>{p.label}</NavLink>
              </li>
            ))}
          </ul>
          <div className="whoami">
            <span>
              Signed in as <strong>{principal.role}</strong>
            </span>
            <button type="button" className="link" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <Routes>
            {pages.map((p) => {
              const Page = COMPONENTS[p.path];
              return <Route key={p.path} path={`/${p.path}/*`} element={<Page />} />;
            })}
            <Route path="*" element={<Navigate to={`/${pages[0]?.path ?? 'live'}`} replace />} />
          </Routes>
        </main>
      </div>
    </QueryClientProvider>
  );
}
