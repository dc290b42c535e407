import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError } from '../api';
import { PAGES } from '../roles';
import { useSession } from '../session';
import { openStream, type StreamState } from '../sse';
import { keys } from '../queries';
import { reasonsQuery } from '../reasons';
import { ErrorNotice, Field, Loading, PageHeader, Status, type Tone } from '../ui';
import { PendingRequests } from './live/PendingRequests';
import { VisitorsCount } from './live/VisitorsCount';
import { AlarmTable } from './live/Alarms';
import { CardReaderPanel } from './live/CardReaders';
import { FailoverPanel } from './live/Failover';
import { ConfirmDialog } from './live/Dialog';
import { DegradedBanner } from './live/DegradedBanner';
import { isSecurityAlarmEvent, SecurityAlarmBanner, securityKindLabel, type SecurityAlarm } from './live/SecurityAlarms';
import { DoorBoard, ReaderTable, type ModeAction } from './live/DoorBoard';
import { doorName, emptyDirectory, loadDirectory } from './live/directory';
import { EventFeed, FeedFilterBar, matches, type FeedFilters } from './live/EventFeed';
import { addToFeed, alarmLabel, applyDoorEvent, FEED_CAP, type Alarm, type DoorStatus, type FeedRow, type MonitorEvent, type ReaderLoop } from './live/model';
import './Live.css';

const STREAM_LABELS: Record<StreamState, { text: string; tone: Tone }> = {
  connecting: { text: 'Connecting…', tone: 'info' },
  live: { text: 'Live', tone: 'ok' },
  reconnecting: { text: 'Reconnecting…', tone: 'warn' },
  closed: { text: 'Disconnected', tone: 'bad' },
};

const FILTER_KEYS = ['site', 'zone', 'door', 'result', 'type'] as const;

/** Door state from /monitor/doors can lag a live door event by a few ms; re-read shortly after. */
const REFRESH_DEBOUNCE_MS = 400;

interface Board {
  doors: DoorStatus[];
  readers: ReaderLoop[];
}

let rowSeq = 0;
function feedRow(event: MonitorEvent): FeedRow {
  rowSeq += 1;
  return { key: `${event.type}:${'id' in event ? event.id : ''}:${rowSeq}`, event };
}

export function LivePage() {
  const { api, principal } = useSession();
  const canReadAudit = (PAGES.find((p) => p.path === 'audit')?.roles as readonly string[] | undefined)?.includes(principal.role) ?? false;
  const client = useQueryClient();
  const directory = useQuery({ queryKey: keys.liveDirectory(), queryFn: () => loadDirectory(api, () => client.fetchQuery(reasonsQuery(api))) });
  const dir = directory.data ?? emptyDirectory();
  // Stable across renders (the query observer's own): callbacks that hold it do not change.
  const refetchDirectory = directory.refetch;
  const doorNameRef = useRef<(id: string) => string | null>(() => null);

  // The state the stream's events apply to lives in the query cache: read on opening (also without
  // a stream, refused or broken by a proxy, the desk sees the current state), read again whenever
  // the stream (re)connects, and patched in place by each event in between.
  const board = useQuery({
    queryKey: keys.liveBoard(),
    queryFn: async (): Promise<Board> => {
      const [doors, readers] = await Promise.all([api.get<DoorStatus[]>('/monitor/doors'), api.get<ReaderLoop[]>('/monitor/readers')]);
      return { doors, readers };
    },
  });
  const openAlarms = useQuery({ queryKey: keys.openAlarms(), queryFn: () => api.get<Alarm[]>('/alarms', { state: 'open', limit: 200 }) });
  const openSecurityAlarms = useQuery({
    queryKey: keys.openSecurityAlarms(),
    queryFn: async () => (await api.get<SecurityAlarm[]>('/monitor/security-alarms')).filter((a) => a.state === 'open'),
  });
  const doors = board.data?.doors ?? null;
  const readers = board.data?.readers ?? [];
  const alarms = openAlarms.data ?? [];
  const securityAlarms = openSecurityAlarms.data ?? [];
  const stateError = board.error ?? openAlarms.error ?? openSecurityAlarms.error;
  const setDoors = useCallback(
    (f: (ds: DoorStatus[]) => DoorStatus[]) => client.setQueryData<Board>(keys.liveBoard(), (b) => b && { ...b, doors: f(b.doors) }),
    [client],
  );
  const setReaders = useCallback(
    (f: (rs: ReaderLoop[]) => ReaderLoop[]) => client.setQueryData<Board>(keys.liveBoard(), (b) => b && { ...b, readers: f(b.readers) }),
    [client],
  );
  const setAlarms = useCallback((f: (as: Alarm[]) => Alarm[]) => client.setQueryData<Alarm[]>(keys.openAlarms(), (as) => f(as ?? [])), [client]);
  const setSecurityAlarms = useCallback(
    (f: (as: SecurityAlarm[]) => SecurityAlarm[]) => client.setQueryData<SecurityAlarm[]>(keys.openSecurityAlarms(), (as) => f(as ?? [])),
    [client],
  );
  doorNameRef.current = (id) => doorName(dir, doors ?? [], id);
  const [stream, setStream] = useState<StreamState>('connecting');

  const [feed, setFeed] = useState<FeedRow[]>([]);
  const [pending, setPending] = useState<FeedRow[]>([]);
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(false);

  const [params, setParams] = useSearchParams();
  const filters: FeedFilters = {
    site: params.get('site') ?? '',
    zone: params.get('zone') ?? '',
    door: params.get('door') ?? '',
    result: params.get('result') ?? '',
    type: params.get('type') ?? '',
  };
  const setFilters = (f: FeedFilters) => {
    const next = new URLSearchParams(params);
    // Ids and fixed words only: no names in the address bar.
    for (const k of FILTER_KEYS) {
      if (f[k]) next.set(k, f[k]);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };

  const [ackTarget, setAckTarget] = useState<Alarm | null>(null);
  const [secAckTarget, setSecAckTarget] = useState<SecurityAlarm | null>(null);
  const [ackNote, setAckNote] = useState('');
  const [modeTarget, setModeTarget] = useState<ModeAction | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Read out by screen readers as soon as an alarm arrives; the table alone would be silent.
  const [announce, setAnnounce] = useState('');

  const refreshDoors = useCallback(() => client.invalidateQueries({ queryKey: keys.liveBoard() }), [client]);

  const refreshAll = useCallback(async () => {
    await Promise.all([
      refreshDoors(),
      client.invalidateQueries({ queryKey: keys.openAlarms() }),
      client.invalidateQueries({ queryKey: keys.openSecurityAlarms() }),
    ]);
  }, [client, refreshDoors]);

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const scheduleRefresh = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      timer.current = null;
      void refreshDoors();
    }, REFRESH_DEBOUNCE_MS);
  }, [refreshDoors]);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  // A customer created after the page loaded: re-read the list once rather than per row.
  const unknownCustomers = useRef(new Set<string>());
  const noteCustomer = useCallback(
    (customerId: string | null) => {
      const d = directory.data;
      if (!customerId || !d || d.customers.has(customerId) || unknownCustomers.current.has(customerId)) return;
      unknownCustomers.current.add(customerId);
      void refetchDirectory();
    },
    [directory.data, refetchDirectory],
  );

  const onEvent = useCallback(
    (type: string, data: unknown) => {
      if (isSecurityAlarmEvent(data) && data.type === type) {
        const s = data;
        // The banner shows them; the feed is for doors and people.
        if (s.type === 'security_alarm_acknowledged') setSecurityAlarms((as) => as.filter((a) => a.id !== s.id));
        else {
          setAnnounce(`New security alarm: ${s.count} MQTT security events within ${s.windowS} s.`);
          setSecurityAlarms((as) =>
            as.some((a) => a.id === s.id)
              ? as
              : [
                  {
                    id: s.id,
                    at: new Date(s.at).toISOString(),
                    count: s.count,
                    windowS: s.windowS,
                    kind: s.kind,
                    source: s.source,
                    state: 'open',
                    acknowledgedAt: null,
                  },
                  ...as,
                ],
          );
        }
        return;
      }
      const e = data as MonitorEvent;
      if (!e || typeof e !== 'object' || e.type !== type) return;
      switch (e.type) {
        case 'door':
          setDoors((ds) => ds.map((d) => (d.doorId === e.doorId ? applyDoorEvent(d, e.event) : d)));
          scheduleRefresh();
          break;
        case 'controller':
          setDoors((ds) => ds.map((d) => (d.controllerId === e.controllerId ? { ...d, controllerStatus: e.status } : d)));
          scheduleRefresh();
          break;
        case 'reader':
          setReaders((rs) => rs.map((r) => (r.readerId === e.readerId ? { ...r, readerState: e.state } : r)));
          break;
        case 'mode':
          scheduleRefresh();
          break;
        case 'alarm':
          setAnnounce(`New alarm: ${alarmLabel(e.kind)}${e.doorId ? ` at ${doorNameRef.current(e.doorId) ?? 'a door'}` : ''}.`);
          setAlarms((as) =>
            as.some((a) => a.id === e.id)
              ? as
              : [
                  {
                    id: e.id,
                    kind: e.kind,
                    state: 'open',
                    siteId: e.siteId,
                    zoneId: e.zoneId,
                    doorId: e.doorId,
                    controllerId: e.controllerId,
                    attemptId: e.attemptId,
                    detail: null,
                    raisedAt: new Date(e.at).toISOString(),
                  },
                  ...as,
                ],
          );
          break;
        case 'alarm_acknowledged':
          setAlarms((as) => as.filter((a) => a.id !== e.id));
          break;
        case 'attempt':
        case 'follow_up':
          noteCustomer(e.customerId);
          break;
      }
      const row = feedRow(e);
      if (pausedRef.current) setPending((p) => addToFeed(p, row));
      else setFeed((f) => addToFeed(f, row));
    },
    [scheduleRefresh, noteCustomer, setDoors, setReaders, setAlarms, setSecurityAlarms],
  );
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;

  useEffect(() => {
    return openStream({
      url: '/monitor/events',
      headers: api.headers(),
      onEvent: (type, data) => onEventRef.current(type, data),
      onState: (s) => {
        setStream(s);
        // Whatever changed while the stream was down (or before it opened) is read afresh.
        if (s === 'live') void refreshAll();
      },
    });
  }, [api, refreshAll]);

  const togglePause = () => {
    const next = !paused;
    pausedRef.current = next;
    setPaused(next);
    if (!next) {
      // Oldest first, so an alarm held back meets the door event shown before the pause.
      setFeed((f) => pending.reduceRight(addToFeed, f));
      setPending([]);
    }
  };

  /** Someone else at the desk may have got there first: a 409 says the alarm is no longer open. */
  const acknowledgeOnce = async (path: string, note: string): Promise<'acknowledged' | 'already'> => {
    try {
      await api.post(path, note ? { note } : {});
      return 'acknowledged';
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) return 'already';
      throw e;
    }
  };
  const ack = useMutation({
    mutationFn: ({ alarm, note }: { alarm: Alarm; note: string }) => acknowledgeOnce(`/alarms/${alarm.id}/acknowledge`, note),
    onSuccess: (result, { alarm }) => {
      setAlarms((as) => as.filter((a) => a.id !== alarm.id));
      setNotice(result === 'acknowledged' ? `Acknowledged: ${alarmLabel(alarm.kind)}.` : 'That alarm was already acknowledged.');
      setAckTarget(null);
      if (result === 'acknowledged') setAckNote('');
    },
  });
  const ackSecurity = useMutation({
    mutationFn: ({ alarm, note }: { alarm: SecurityAlarm; note: string }) => acknowledgeOnce(`/monitor/security-alarms/${alarm.id}/acknowledge`, note),
    onSuccess: (result, { alarm }) => {
      setSecurityAlarms((as) => as.filter((a) => a.id !== alarm.id));
      setNotice(
        result === 'acknowledged'
          ? `Acknowledged: security alarm (${alarm.count} events from ${alarm.source}).`
          : 'That security alarm was already acknowledged.',
      );
      setSecAckTarget(null);
      if (result === 'acknowledged') setAckNote('');
    },
  });
  const mode = useMutation({
    mutationFn: (target: ModeAction) => {
      const collection = { site: 'sites', zone: 'zones', door: 'doors' }[target.scope];
      return api.post(`/${collection}/${target.id}/${target.kind}`, { active: target.active });
    },
    onSuccess: async (_answer, target) => {
      setNotice(modeText(target, true));
      setModeTarget(null);
      await refreshDoors();
    },
  });
  // The three actions share one busy flag and one error, as the desk sees one dialog at a time.
  const busy = ack.isPending || ackSecurity.isPending || mode.isPending;
  const actionError = ack.error ?? ackSecurity.error ?? mode.error;
  const clearActionError = () => {
    ack.reset();
    ackSecurity.reset();
    mode.reset();
  };
  const acknowledge = () => {
    if (!ackTarget) return;
    clearActionError();
    ack.mutate({ alarm: ackTarget, note: ackNote.trim() });
  };
  const acknowledgeSecurity = () => {
    if (!secAckTarget) return;
    clearActionError();
    ackSecurity.mutate({ alarm: secAckTarget, note: ackNote.trim() });
  };
  const changeMode = () => {
    if (!modeTarget) return;
    clearActionError();
    mode.mutate(modeTarget);
  };

  const visible = feed.filter((r) => matches(r, filters, doors ?? [], readers));
  const streamLabel = STREAM_LABELS[stream];

  return (
    <>
      <div className="live">
        <PageHeader title="Live">
          <span className="live-stream" role="status" aria-live="polite">
            Event stream: <Status tone={streamLabel.tone}>{streamLabel.text}</Status>
          </span>
          <PendingRequests />
          <VisitorsCount />
        </PageHeader>
        <DegradedBanner api={api} />
        <div className="live-sr-only" aria-live="assertive">
          {announce}
        </div>
        <ErrorNotice error={directory.error} />
        <ErrorNotice error={stateError} />
        {notice ? (
          <div className="notice notice-ok live-notice" role="status">
            {notice}{' '}
            <button type="button" className="link" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          </div>
        ) : null}
        {actionError && !ackTarget && !secAckTarget && !modeTarget ? <ErrorNotice error={actionError} /> : null}
        <SecurityAlarmBanner
          alarms={securityAlarms}
          canReadAudit={canReadAudit}
          onAcknowledge={(a) => {
            clearActionError();
            setAckNote('');
            setSecAckTarget(a);
          }}
        />

        <div className="live-grid">
          <div className="live-col">
            <section className="panel live-panel" aria-labelledby="live-doors-title">
              <h2 id="live-doors-title">Doors</h2>
              <div className="live-scroll live-scroll-doors">
                {doors === null ? <Loading what="Loading doors" /> : <DoorBoard doors={doors} alarms={alarms} dir={dir} onMode={setModeTarget} />}
              </div>
            </section>
            <section className="panel live-panel" aria-labelledby="live-readers-title">
              <h2 id="live-readers-title">Readers</h2>
              <div className="live-scroll live-scroll-readers">
                {doors === null ? <Loading what="Loading readers" /> : <ReaderTable readers={readers} doors={doors} dir={dir} />}
              </div>
            </section>
            <CardReaderPanel dir={dir} doors={doors ?? []} />
            <FailoverPanel />
          </div>
          <div className="live-col">
            <section className="panel live-panel" aria-labelledby="live-alarms-title">
              <h2 id="live-alarms-title">Open alarms {alarms.length > 0 ? <span className="live-count">({alarms.length})</span> : null}</h2>
              <AlarmTable
                alarms={alarms}
                dir={dir}
                doors={doors ?? []}
                onAcknowledge={(a) => {
                  clearActionError();
                  setAckNote('');
                  setAckTarget(a);
                }}
              />
            </section>
            <section className="panel live-panel" aria-labelledby="live-feed-title">
              <div className="live-feed-head">
                <h2 id="live-feed-title">Event feed</h2>
                <span className="muted live-feed-count" aria-live="polite">
                  {paused
                    ? `Paused · ${pending.length} new event${pending.length === 1 ? '' : 's'} waiting`
                    : `Showing ${visible.length} of ${feed.length} (last ${FEED_CAP} kept)`}
                </span>
                <button type="button" className={paused ? 'primary' : ''} aria-pressed={paused} onClick={togglePause}>
                  {paused ? 'Resume feed' : 'Pause feed'}
                </button>
              </div>
              <FeedFilterBar filters={filters} onChange={setFilters} dir={dir} doors={doors ?? []} />
              <EventFeed rows={visible} dir={dir} doors={doors ?? []} />
            </section>
          </div>
        </div>

        {ackTarget ? (
          <ConfirmDialog
            title={`Acknowledge: ${alarmLabel(ackTarget.kind)}`}
            confirmLabel="Acknowledge alarm"
            busy={busy}
            onConfirm={acknowledge}
            onCancel={() => setAckTarget(null)}
          >
            <p>The alarm leaves the open list for every desk. Say what you found, without names of people.</p>
            <Field label="Note (optional)" hint="Up to 500 characters">
              {(id) => <textarea id={id} rows={3} maxLength={500} value={ackNote} onChange={(e) => setAckNote(e.target.value)} />}
            </Field>
            <ErrorNotice error={actionError} />
          </ConfirmDialog>
        ) : null}
        {secAckTarget ? (
          <ConfirmDialog
            title="Acknowledge: security alarm"
            confirmLabel="Acknowledge security alarm"
            busy={busy}
            onConfirm={acknowledgeSecurity}
            onCancel={() => setSecAckTarget(null)}
          >
            <p>
              {secAckTarget.count} MQTT security events within {secAckTarget.windowS} s ({securityKindLabel(secAckTarget.kind)} from{' '}
              <code>{secAckTarget.source}</code>). The alarm leaves the open list for every desk.
            </p>
            <Field label="Ticket reference (optional)" hint="Letters, digits and . _ : / + - only: the audit trail keeps no free text">
              {(id) => <input id={id} maxLength={80} value={ackNote} onChange={(e) => setAckNote(e.target.value)} spellCheck={false} />}
            </Field>
            <ErrorNotice error={actionError} />
          </ConfirmDialog>
        ) : null}
        {modeTarget ? (
          <ConfirmDialog
            title={modeText(modeTarget, false)}
            confirmLabel={modeConfirm(modeTarget)}
            tone={!modeTarget.active ? 'primary' : modeTarget.kind === 'emergency-release' ? 'release' : 'danger'}
            busy={busy}
            onConfirm={changeMode}
            onCancel={() => setModeTarget(null)}
          >
            <p>{modeExplain(modeTarget)}</p>
            <ErrorNotice error={actionError} />
          </ConfirmDialog>
        ) : null}
      </div>
    </>
  );
}

function modeText(a: ModeAction, done: boolean): string {
  const what = `${a.scope} ${a.name}`;
  if (a.kind === 'hold-locked') {
    if (done) return a.active ? `Door ${a.name} is held locked.` : `Hold released on door ${a.name}.`;
    return a.active ? `Hold door ${a.name} locked?` : `Release the hold on door ${a.name}?`;
  }
  if (a.kind === 'lockdown')
    return a.active
      ? `${done ? 'Locked down' : 'Lock down'} ${what}${done ? '.' : '?'}`
      : `${done ? 'Lifted lockdown of' : 'Lift lockdown of'} ${what}${done ? '.' : '?'}`;
  return a.active
    ? `${done ? 'Emergency release started for' : 'Start emergency release of'} ${what}${done ? '.' : '?'}`
    : `${done ? 'Emergency release ended for' : 'End emergency release of'} ${what}${done ? '.' : '?'}`;
}

function modeConfirm(a: ModeAction): string {
  if (a.kind === 'hold-locked') return a.active ? 'Hold locked' : 'Release hold';
  if (a.kind === 'lockdown') return a.active ? 'Lock down' : 'Lift lockdown';
  return a.active ? 'Release doors' : 'End release';
}

function modeExplain(a: ModeAction): string {
  if (a.kind === 'hold-locked') {
    return a.active
      ? 'The door stays locked and every badge-in at it is denied (door locked) until the hold is released. The action is audited.'
      : 'The door returns to normal access rules. The action is audited.';
  }
  if (a.kind === 'lockdown') {
    return a.active
      ? `Every door of this ${a.scope} stays locked and every badge-in is denied until the lockdown is lifted. The action is audited.`
      : `Doors of this ${a.scope} return to normal access rules. The action is audited.`;
  }
  return a.active
    ? `Every door of this ${a.scope} is released for evacuation: identified people pass without other checks. The action is audited.`
    : `Doors of this ${a.scope} return to normal access rules. The action is audited.`;
}
