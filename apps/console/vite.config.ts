import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// The console is static files served by the API server under /console (no second server to
// run); `npm run build:console` writes them to dist/console, where the server looks for them.
export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [react()],
  // The one lib the console bundles: it shares the server-sent events reader with the CLI demo
  // and the tests, and imports nothing of Nest or Node (see libs/event-stream).
  resolve: { alias: { '@acs/event-stream': fileURLToPath(new URL('../../libs/event-stream/src/index.ts', import.meta.url)) } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    // One desk screen, one bundle: no code splitting worth its round trips.
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm run dev:console`: proxy the API to a server started with `npm start`.
    proxy: Object.fromEntries(
      [
        '/auth',
        '/staff',
        '/customers',
        '/people',
        '/sites',
        '/zones',
        '/doors',
        '/readers',
        '/controllers',
        '/schedules',
        '/access-levels',
        '/grants',
        '/reader-loads',
        '/reader-libraries',
        '/enrolments',
        '/monitor',
        '/alarms',
        '/badge-in',
        '/compliance',
        '/audit',
        '/access-events',
        '/health',
        '/ready',
      ].map((p) => [p, 'http://127.0.0.1:3000']),
    ),
  },
});
