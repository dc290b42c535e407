import { QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter, Navigate, NavLink, Route, Routes } from 'react-router';
import { newQueryClient } from './queries';
import { pagesFor, type PagePath } from './roles';
import { useSession, useSessionState } from './session';
import { SignIn } from './pages/SignIn';
import { SecondFactorRequired } from './pages/SecondFactorRequired';
import { PasswordResetPage } from './pages/PasswordReset';
import { SecurityPage } from './pages/Security';
import { LivePage } from './pages/Live';
import { PeoplePage } from './pages/People';
import { EnrolPage } from './pages/Enrol';
import { ZonesPage } from './pages/Zones';
import { HistoryPage } from './pages/History';
import { CompliancePage } from './pages/Compliance';
import { AuditPage } from './pages/Audit';
import { AccountsPage } from './pages/Accounts';
import { OwnCustomerPage } from './pages/OwnCustomer';
import { OwnHistoryPage } from './pages/OwnHistory';
import { PortalRequestsPage } from './pages/PortalRequests';
import { AccessRequestsPage } from './pages/AccessRequests';
import { PortalVisitorsPage } from './pages/PortalVisitors';
import { VisitorsTodayPage } from './pages/VisitorsToday';

const COMPONENTS: Record<PagePath, () => React.JSX.Element> = {
  live: LivePage,
  people: PeoplePage,
  enrol: EnrolPage,
  zones: ZonesPage,
  history: HistoryPage,
  compliance: CompliancePage,
  audit: AuditPage,
  accounts: AccountsPage,
  customer: OwnCustomerPage,
  requests: AccessRequestsPage,
  'portal-requests': PortalRequestsPage,
  visitors: VisitorsTodayPage,
  'portal-visitors': PortalVisitorsPage,
  'portal-history': OwnHistoryPage,
};

export function App() {
  const { session, enrolment } = useSessionState();
  // For the screens before the console opens (their requests are changes, never cached reads).
  const [outer] = useState(newQueryClient);
  const front = session ? <Shell key={session.key} /> : enrolment ? <SecondFactorRequired /> : <SignIn />;
  return (
    <QueryClientProvider client={outer}>
      <BrowserRouter basename="/console">
        <Routes>
          <Route path="/password-reset" element={<PasswordResetPage />} />
          <Route path="*" element={front} />
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  );
}

function Shell() {
  const { principal, signOut } = useSession();
  const pages = pagesFor(principal.role);
  // One cache per signed-in session: the shell is mounted anew for each sign-in (its key), so data
  // read under one sign-in is never shown under the next.
  const [queries] = useState(newQueryClient);
  return (
    <QueryClientProvider client={queries}>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <div className="sidebar">
          <div className="brand">Access control</div>
          <nav aria-label="Console">
            <ul>
              {pages.map((p) => (
                <li key={p.path}>
                  <NavLink to={`/${p.path}`}>{p.label}</NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <nav className="whoami" aria-label="Account">
            <span>
              Signed in as <strong>{principal.role}</strong>
            </span>
            <NavLink to="/security">Security</NavLink>
            <button type="button" className="link" onClick={() => void signOut()}>
              Sign out
            </button>
          </nav>
        </div>
        <main id="main" className="content" tabIndex={-1}>
          <Routes>
            {pages.map((p) => {
              const Page = COMPONENTS[p.path];
              return <Route key={p.path} path={`/${p.path}/*`} element={<Page />} />;
            })}
            <Route path="/security" element={<SecurityPage />} />
            <Route path="*" element={<Navigate to={`/${pages[0]?.path ?? 'live'}`} replace />} />
          </Routes>
        </main>
      </div>
    </QueryClientProvider>
  );
}
