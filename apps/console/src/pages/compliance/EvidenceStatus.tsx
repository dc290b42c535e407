import { useQuery } from '@tanstack/react-query';
import type { Schemas } from '../../api';
import { keys } from '../../queries';
import { useSession } from '../../session';
import { ErrorNotice, formatTime, Status } from '../../ui';

/** Generated from the OpenAPI document (libs/compliance compliance.responses.ts). */
type CheckpointsView = Schemas['CheckpointsView'];
type UndoneView = Schemas['UndonePurgesView'];

const chainName = (c: string) =>
  c === 'audit' ? 'audit trail' : c.startsWith('site:') ? `site ${c.slice(5, 13)}… (unknown fingers)` : `customer ${c.slice(0, 8)}…`;

/**
 * The evidence outside the database at a glance: the newest signed checkpoint against the
 * database, and signed certificates whose erased data is back (a restored backup). An alarm is
 * announced to screen readers (role=alert) as well as shown.
 */
export function EvidenceStatus() {
  const { api } = useSession();
  const cps = useQuery({ queryKey: keys.checkpoints(), queryFn: () => api.get<CheckpointsView>('/compliance/checkpoints') });
  const undone = useQuery({ queryKey: keys.undonePurges(), queryFn: () => api.get<UndoneView>('/compliance/undone-purges') });
  const lost = (cps.data?.now.findings ?? []).filter((f) => f.problem !== 'erased_since');
  const signatureBad = cps.data && cps.data.now.signature !== null && cps.data.now.signature !== 'valid';
  const alarm = lost.length > 0 || signatureBad || (undone.data?.undone.length ?? 0) > 0 || (undone.data?.invalid.length ?? 0) > 0;
  return (
    <section className={`panel evidence-status${alarm ? ' evidence-alarm' : ''}`} aria-labelledby="evidence-title">
      <h2 id="evidence-title">Evidence</h2>
      <ErrorNotice error={cps.error ?? undone.error} />
      {cps.data ? (
        <p>
          {cps.data.now.checkpoint === null ? (
            <Status tone="warn">No checkpoint yet</Status>
          ) : signatureBad ? (
            <Status tone="bad">Newest checkpoint signature invalid</Status>
          ) : lost.length > 0 ? (
            <Status tone="bad">Database older than checkpoint {cps.data.now.checkpoint.number}</Status>
          ) : (
            <Status tone="ok">Database matches checkpoint {cps.data.now.checkpoint.number}</Status>
          )}{' '}
          {cps.data.paused ? <Status tone="warn">Checkpoints paused</Status> : <Status tone="idle">Checkpoint every {cps.data.intervalS} s</Status>}{' '}
          {cps.data.lastWritten ? <span className="muted">last written {formatTime(cps.data.lastWritten.at)}</span> : null}
        </p>
      ) : null}
      {alarm ? (
        <div role="alert">
          {lost.length > 0 ? (
            <>
              <p>
                <strong>Entries the signed checkpoint saw are missing from the database</strong> (restored backup or lost writes):
              </p>
              <ul>
                {lost.map((f) => (
                  <li key={f.chain}>
                    {chainName(f.chain)}:{' '}
                    {f.problem === 'missing_tail'
                      ? `checkpoint saw entry ${f.checkpointSeq}, database ends at ${f.databaseSeq ?? 'none'}`
                      : `entry ${f.checkpointSeq} differs`}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {(undone.data?.undone ?? []).map((u) => (
            <p key={u.certificate}>
              <strong>Erasure undone:</strong> {u.kind} of customer <code>{u.customerId}</code>
              {u.personId ? (
                <>
                  , person <code>{u.personId}</code>
                </>
              ) : null}{' '}
              is certified, yet {u.back.join(', ')} are back. Run <code>acsctl purge:reapply</code>.
            </p>
          ))}
          {(undone.data?.invalid ?? []).map((f) => (
            <p key={f.file}>
              <strong>Certificate file does not verify:</strong> <code>{f.file}</code> ({f.problems.join('; ')})
            </p>
          ))}
        </div>
      ) : null}
    </section>
  );
}
