import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Schemas } from '../api';
import { CREDENTIAL_POLICIES, policyExplain, policyLabel, type CredentialPolicy } from '../credentials';
import { keys, useInvalidate } from '../queries';
import { useSession, type StaffRole } from '../session';
import { Empty, ErrorNotice, Loading, PageHeader, Status } from '../ui';
import './Zones.css';

type Site = Schemas['SiteView'];
type Zone = Schemas['ZoneView'];
type Door = Schemas['DoorView'];

/** Mirrors the registry's CONFIGURE routes (PATCH /zones/:id, PATCH /doors/:id); the API stays the gate. */
const canConfigure = (r: StaffRole) => r === 'admin' || r === 'security';

/**
 * Which credentials open each zone's doors, and doors that differ from their zone. Only the
 * policy is edited here: the rest of a zone's configuration is set through the API and acsctl.
 */
export function ZonesPage() {
  const { api, principal } = useSession();
  const q = useQuery({
    queryKey: keys.zones(),
    queryFn: async () => {
      const [sites, zones, doors] = await Promise.all([
        api.all<Site>('/sites', { limit: 200 }),
        api.all<Zone>('/zones', { limit: 200 }),
        api.all<Door>('/doors', { limit: 200 }),
      ]);
      return { sites, zones, doors };
    },
  });
  const canWrite = canConfigure(principal.role);
  return (
    <>
      <PageHeader title="Zones" />
      <p className="muted">
        The credential policy says what opens a zone&apos;s doors: a fingerprint, a card, or both. A door follows its zone unless it has a policy of its own.
      </p>
      <ErrorNotice error={q.error} />
      {q.isPending ? <Loading what="Loading zones" /> : null}
      {q.data && q.data.zones.length === 0 ? <Empty>There are no zones yet.</Empty> : null}
      {q.data?.sites.map((site) => {
        const zones = q.data.zones.filter((z) => z.siteId === site.id).sort((a, b) => a.name.localeCompare(b.name));
        if (zones.length === 0) return null;
        return (
          <section key={site.id} className="panel" aria-labelledby={`site-${site.id}`}>
            <h2 id={`site-${site.id}`}>{site.name}</h2>
            <div className="table-wrap">
              <table className="zones-table">
                <caption className="people-sr-only">Zones and doors of {site.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Zone or door</th>
                    <th scope="col">Credential policy</th>
                  </tr>
                </thead>
                <tbody>
                  {zones.map((zone) => (
                    <ZoneRows key={zone.id} zone={zone} doors={q.data.doors.filter((d) => d.zoneId === zone.id)} canWrite={canWrite} />
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        );
      })}
    </>
  );
}

function ZoneRows({ zone, doors, canWrite }: { zone: Zone; doors: Door[]; canWrite: boolean }) {
  return (
    <>
      <tr className="zones-zone">
        <th scope="row">
          {zone.name} <span className="muted">({zone.kind})</span>
        </th>
        <td>
          <PolicyEditor kind="zone" id={zone.id} name={zone.name} value={zone.credentialPolicy} canWrite={canWrite} />
        </td>
      </tr>
      {[...doors]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((door) => (
          <tr key={door.id} className="zones-door">
            <th scope="row">
              <span className="zones-indent">Door {door.name}</span>
            </th>
            <td>
              <PolicyEditor kind="door" id={door.id} name={door.name} value={door.credentialPolicy} zonePolicy={zone.credentialPolicy} canWrite={canWrite} />
            </td>
          </tr>
        ))}
    </>
  );
}

/** '' in the door's select: no policy of its own (null in the API), the zone's applies. */
const INHERIT = '';

function PolicyEditor(props: {
  kind: 'zone' | 'door';
  id: string;
  name: string;
  value: CredentialPolicy | null;
  zonePolicy?: CredentialPolicy;
  canWrite: boolean;
}) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const current = props.value ?? INHERIT;
  const [chosen, setChosen] = useState<string>(current);
  const save = useMutation({
    mutationFn: (policy: string) =>
      api.patch(`/${props.kind === 'zone' ? 'zones' : 'doors'}/${props.id}`, { credentialPolicy: policy === INHERIT ? null : policy }),
    // The live monitor's directory names zones and doors too; it reads them again when next opened.
    onSuccess: () => invalidate(keys.zones(), keys.liveDirectory()),
  });
  const effective = (chosen || props.zonePolicy) ?? null;
  const label = `Credential policy of ${props.kind} ${props.name}`;
  const hintId = `policy-hint-${props.id}`;
  if (!props.canWrite) {
    return (
      <span>
        <Status tone="info">{policyLabel(props.value ?? props.zonePolicy)}</Status>
        {props.kind === 'door' && props.value === null ? <span className="muted"> (the zone&apos;s)</span> : null}
      </span>
    );
  }
  return (
    <form
      className="zones-policy"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(chosen);
      }}
    >
      <select aria-label={label} aria-describedby={hintId} value={chosen} onChange={(e) => setChosen(e.target.value)} disabled={save.isPending}>
        {props.kind === 'door' ? <option value={INHERIT}>Zone&apos;s policy ({policyLabel(props.zonePolicy)})</option> : null}
        {CREDENTIAL_POLICIES.map((p) => (
          <option key={p.value} value={p.value}>
            {p.label}
          </option>
        ))}
      </select>
      <button type="submit" disabled={save.isPending || chosen === current} aria-label={`Save policy of ${props.kind} ${props.name}`}>
        {save.isPending ? 'Saving…' : 'Save'}
      </button>
      {save.isSuccess && chosen === current ? (
        <span role="status" className="zones-saved">
          Saved
        </span>
      ) : null}
      <small id={hintId} className="muted zones-hint">
        {policyExplain(effective)}
      </small>
      <ErrorNotice error={save.error} />
    </form>
  );
}
