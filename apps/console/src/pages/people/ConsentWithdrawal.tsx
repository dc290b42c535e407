import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { Schemas } from '../../api';
import { keys, useInvalidate } from '../../queries';
import { useSession, type StaffRole } from '../../session';
import { ErrorNotice, ShortId } from '../../ui';
import { canManageCards } from './Cards';

type ErasureJob = Schemas['ErasureJobView'];

/** Mirrors POST /compliance/people/:personId/withdraw-biometrics (compliance and admin). */
export const canWithdrawConsent = (r: StaffRole) => r === 'admin' || r === 'compliance';

/**
 * Consent to biometrics withdrawn (or an objection): every fingerprint template of the person is
 * erased, on the readers too; the person keeps the record, the grants and any cards. Withdrawing
 * must leave a real way in (issue 17), so the same flow then offers a card (and a PIN).
 */
export function ConsentWithdrawal({ personId, onIssueCard }: { personId: string; onIssueCard: () => void }) {
  const { api, principal } = useSession();
  const invalidate = useInvalidate();
  const [confirming, setConfirming] = useState(false);
  const withdraw = useMutation({
    mutationFn: () => api.post<ErasureJob>(`/compliance/people/${personId}/withdraw-biometrics`, {}),
    onSuccess: async () => {
      setConfirming(false);
      await invalidate(keys.fingerprints(personId), keys.erasures());
    },
  });
  if (!canWithdrawConsent(principal.role)) return null;
  return (
    <section className="panel" aria-labelledby="consent-title">
      <h2 id="consent-title">Biometric consent</h2>
      {withdraw.data ? (
        <div className="notice notice-ok" role="status">
          <p>
            Consent withdrawn: the fingerprint templates are being erased, on the readers too (erasure job <ShortId id={withdraw.data.id} />
            ). The person keeps their record and grants.
          </p>
          {canManageCards(principal.role) ? (
            <p>
              Without a finger this person needs a card to get in.{' '}
              <button type="button" className="primary" onClick={onIssueCard}>
                Issue a card instead
              </button>
            </p>
          ) : (
            <p>Without a finger this person needs a card to get in: ask the security desk to issue one (and a PIN).</p>
          )}
        </div>
      ) : confirming ? (
        <div className="confirm-block">
          <p>
            Every fingerprint template of this person is erased, on the readers too. This cannot be undone; to use a finger again the person must consent and
            enrol anew.
          </p>
          <span className="confirm">
            <button type="button" className="danger" disabled={withdraw.isPending} onClick={() => withdraw.mutate()}>
              {withdraw.isPending ? 'Withdrawing…' : 'Confirm withdrawal'}
            </button>
            <button type="button" onClick={() => setConfirming(false)} disabled={withdraw.isPending}>
              Keep
            </button>
          </span>
        </div>
      ) : (
        <>
          <p className="muted">When the person withdraws consent to the use of their fingerprints, or objects to it.</p>
          <button type="button" onClick={() => setConfirming(true)}>
            Withdraw biometric consent
          </button>
        </>
      )}
      <ErrorNotice error={withdraw.error} />
    </section>
  );
}
