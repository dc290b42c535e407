import { NavLink, Route, Routes } from 'react-router';
import { useSession } from '../session';
import { ErrorNotice, PageHeader } from '../ui';
import { useCustomers } from './history/records';
import { CertificateDetail, CertificatesView, HoldsView } from './compliance/Evidence';
import { JobDetail, PreviewView, PurgesView } from './compliance/Purges';
import { RequestsView } from './compliance/Requests';
import { EvidenceStatus } from './compliance/EvidenceStatus';
import './Compliance.css';

/**
 * Purges, legal holds and data-subject requests are compliance work (admin, compliance); auditors
 * read the evidence (erasures, certificates, holds) and get no write controls, as the API's
 * policies in libs/compliance say.
 */
const WRITERS = ['admin', 'compliance'];

export function CompliancePage() {
  const { api, principal } = useSession();
  const canWrite = WRITERS.includes(principal.role);
  const customers = useCustomers(api);
  const tabs = [
    { to: '/compliance', label: 'Purges', end: true },
    { to: '/compliance/certificates', label: 'Certificates', end: false },
    { to: '/compliance/holds', label: 'Legal holds', end: false },
    ...(canWrite ? [{ to: '/compliance/requests', label: 'Data-subject requests', end: false }] : []),
  ];
  return (
    <>
      <PageHeader title="Compliance">{canWrite ? null : <span className="status status-idle">Read-only (auditor)</span>}</PageHeader>
      <nav aria-label="Compliance sections" className="compliance-tabs">
        <ul>
          {tabs.map((t) => (
            <li key={t.to}>
              <NavLink to={t.to} end={t.end}>
                {t.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <ErrorNotice error={customers.error} />
      <EvidenceStatus />
      <Routes>
        <Route index element={<PurgesView customers={customers.data} canWrite={canWrite} />} />
        <Route path="jobs/:jobId" element={<JobDetail customers={customers.data} />} />
        {canWrite ? <Route path="preview/:customerId" element={<PreviewView customers={customers.data} />} /> : null}
        <Route path="certificates" element={<CertificatesView customers={customers.data} />} />
        <Route path="certificates/:certificateId" element={<CertificateDetail />} />
        <Route path="holds" element={<HoldsView customers={customers.data} canWrite={canWrite} />} />
        {canWrite ? <Route path="requests" element={<RequestsView customers={customers.data} />} /> : null}
        <Route path="*" element={<PurgesView customers={customers.data} canWrite={canWrite} />} />
      </Routes>
    </>
  );
}
