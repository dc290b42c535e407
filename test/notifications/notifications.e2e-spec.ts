import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { AccessLogService } from '@acs/access-log';
import { Notifications, OutboxWorker, NotificationWatchers } from '@acs/notifications';
import { leaks, PERSON } from '../support/personal-data.js';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import { SmtpSink, type ReceivedMail } from '../support/smtp-sink.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'violet staple orbit canyon';
const DAY = 86_400_000;
const ADDRESS_A = 'security-lead@customer-a.example';
const ADDRESS_A2 = 'night-shift@customer-a.example';
const ADDRESS_B = 'facilities@customer-b.example';

interface Session {
  staffId: string;
  cookie: string;
  csrf: string;
}

/**
 * Notifications to customer administrators through a real SMTP server started here: what each
 * kind of mail says (ids and a console link, no names), the outbox across an SMTP outage (sent
 * once after recovery), dead letters, the watchers (denials in a row, access ending) with the fake
 * clock, and per-administrator settings that no other customer's administrator can reach.
 */
describe('notifications', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let site: SiteFixture;
  let a: { id: string };
  let b: { id: string };
  let tokenA: string;
  let security: string;
  let adminA: Session;
  let adminA2: Session;
  let adminB: Session;
  let personOfA: { id: string };
  let worker: OutboxWorker;
  let watchers: NotificationWatchers;

  const signIn = async (customerId: string, username: string): Promise<Session> => {
    const created = await t.http().post(`/customers/${customerId}/admins`).set(bearer(t.adminToken)).send({ username }).expect(201);
    await t.http().post('/auth/password-reset').send({ token: created.body.passwordReset.resetToken, newPassword: PASSWORD }).expect(200);
    return signInAgain(created.body.id as string, username);
  };
  const signInAgain = async (staffId: string, username: string): Promise<Session> => {
    const res: Response = await t.http().post('/auth/sign-in').send({ username, password: PASSWORD }).expect(200);
    const cookie = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .find((h) => h.startsWith('acs_session='))!
      .split(';')[0]!;
    return { staffId, cookie, csrf: res.body.csrfToken as string };
  };
  const as = (s: Session) => ({ Cookie: s.cookie, 'X-CSRF-Token': s.csrf });
  const settingsOf = (customerId: string, s: Session) => t.http().get(`/customers/${customerId}/notification-settings`).set(as(s));
  const save = (customerId: string, s: Session, body: object) => t.http().put(`/customers/${customerId}/notification-settings`).set(as(s)).send(body);
  const fileGrant = (until = '2027-06-01T00:00:00Z') =>
    t
      .http()
      .post(`/customers/${a.id}/access-requests`)
      .set(bearer(tokenA))
      .send({ kind: 'grant', personId: personOfA.id, accessLevelId: site.cageLevelId, validUntil: until })
      .expect(201);
  const refuse = (id: string, reason: string) => t.http().post(`/access-requests/${id}/refuse`).set(bearer(security)).send({ reason }).expect(200);
  const mailsAbout = (id: string): ReceivedMail[] => smtp.mails.filter((m) => m.text.includes(id));

  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    // The periodic rounds are left to the test (called directly): an hour between them.
    t = await startTestApp({ env: { SMTP_URL: smtp.url, SMTP_TLS_VERIFY: 'false', NOTIFY_POLL_S: '3600', PUBLIC_URL: 'https://acs.example.com' } });
    worker = t.app.get(OutboxWorker);
    watchers = t.app.get(NotificationWatchers);
    site = await buildSite(t);
    a = await createCustomer(t, { contact: { name: PERSON.fullName, email: PERSON.email } });
    b = await createCustomer(t);
    personOfA = await createPerson(t, a.id, { fullName: PERSON.fullName, email: PERSON.email, phone: PERSON.phone });
    await post(t, '/grants', { accessLevelId: site.cageLevelId, customerId: a.id });
    tokenA = (await post<{ token: string }>(t, `/customers/${a.id}/tokens`, { label: 'portal A' })).token;
    security = await t.tokenFor('security');
    adminA = await signIn(a.id, 'notify-admin-a');
    adminA2 = await signIn(a.id, 'notify-admin-a2');
    adminB = await signIn(b.id, 'notify-admin-b');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  describe('settings', () => {
    it('start with every kind and no address; an administrator saves their own', async () => {
      const first = await settingsOf(a.id, adminA).expect(200);
      expect(first.body).toEqual({
        staffId: adminA.staffId,
        customerId: a.id,
        email: null,
        kinds: ['request_decided', 'visitor_arrived', 'person_denied', 'access_ending'],
        availableKinds: ['request_decided', 'visitor_arrived', 'person_denied', 'access_ending'],
        sending: true,
      });
      const saved = await save(a.id, adminA, { email: ADDRESS_A, kinds: ['request_decided', 'person_denied', 'access_ending', 'visitor_arrived'] }).expect(200);
      expect(saved.body).toMatchObject({ staffId: adminA.staffId, email: ADDRESS_A });
      // The second administrator of A wants decisions only; B's administrator everything.
      await save(a.id, adminA2, { email: ADDRESS_A2, kinds: ['request_decided'] }).expect(200);
      await save(b.id, adminB, { email: ADDRESS_B, kinds: ['request_decided', 'person_denied', 'access_ending', 'visitor_arrived'] }).expect(200);
      expect((await settingsOf(a.id, adminA2).expect(200)).body).toMatchObject({ email: ADDRESS_A2, kinds: ['request_decided'] });
    });

    it("an administrator of A cannot read or edit B's, a customer token or staff has none, bad input is refused", async () => {
      expect((await settingsOf(b.id, adminA).expect(403)).body.code).toBe('auth.forbidden');
      expect((await save(b.id, adminA, { email: 'attacker@evil.example', kinds: [] }).expect(403)).body.code).toBe('auth.forbidden');
      expect((await settingsOf(b.id, adminB).expect(200)).body.email).toBe(ADDRESS_B);
      expect((await t.http().get(`/customers/${a.id}/notification-settings`).set(bearer(tokenA)).expect(403)).body.code).toBe('notification.account_required');
      expect((await t.http().get(`/customers/${a.id}/notification-settings`).set(bearer(t.adminToken)).expect(403)).body.code).toBe('auth.forbidden');
      const bad = await save(a.id, adminA, { email: 'not an address', kinds: ['gossip'] }).expect(400);
      expect(bad.body.code).toBe('validation.failed');
    });

    it('the address is stored sealed, and never lands in the audit trail', async () => {
      const stored = await t.app.get(DataSource).query('SELECT email_ct FROM notification_setting');
      expect(stored).toHaveLength(3);
      expect(JSON.stringify(stored)).not.toContain('.example');
      const auditor = await t.tokenFor('auditor');
      const audit = await t.http().get('/audit').query({ action: 'notification.settings.save', limit: 50 }).set(bearer(auditor)).expect(200);
      expect(audit.body.items.length).toBeGreaterThanOrEqual(3);
      expect(JSON.stringify(audit.body)).not.toContain('customer-a.example');
    });
  });

  it("a refusal reaches the customer's administrators who asked for it, with ids and a link only", async () => {
    const filed = await fileGrant();
    await refuse(filed.body.id, `Duplicate of ${PERSON.fullName}`);
    expect(await worker.round()).toMatchObject({ sent: 2, failed: 0 });
    const mails = mailsAbout(filed.body.id);
    expect(mails.map((m) => m.to[0]).sort()).toEqual([ADDRESS_A, ADDRESS_A2].sort());
    for (const m of mails) {
      expect(m.subject).toBe('[ACS] Access request refused');
      expect(m.text).toContain(`Your access request ${filed.body.id} (grant) was refused by the datacenter.`);
      expect(m.text).toContain(`Person reference: ${personOfA.id}`);
      expect(m.text).toContain('Details: https://acs.example.com/console/portal-requests');
      expect(m.autoSubmitted).toBe('auto-generated');
      expect(m.messageId).toMatch(/^<[0-9a-f-]{36}@127\.0\.0\.1>$/);
      // Neither the person, nor the staff's reason, nor the other administrator's address.
      expect(leaks(m.raw)).toEqual([]);
      expect(m.raw).not.toContain('Duplicate of');
      expect(m.raw).not.toContain(m.to[0] === ADDRESS_A ? ADDRESS_A2 : ADDRESS_A);
    }
    // B's administrator heard nothing of A.
    expect(smtp.to(ADDRESS_B)).toEqual([]);
    expect(await worker.round()).toEqual({ sent: 0, failed: 0, dropped: 0 });
  });

  it('an approval of a new person names the new person by reference only', async () => {
    const filed = await t
      .http()
      .post(`/customers/${a.id}/access-requests`)
      .set(bearer(tokenA))
      .send({ kind: 'add_person', fullName: 'Wilhelmina Kortenhoeven', email: 'w.kortenhoeven@customer-a.example' })
      .expect(201);
    const approved = await t.http().post(`/access-requests/${filed.body.id}/approve`).set(bearer(security)).send({}).expect(200);
    await worker.round();
    const mails = mailsAbout(filed.body.id);
    expect(mails).toHaveLength(2);
    for (const m of mails) {
      expect(m.subject).toBe('[ACS] Access request approved');
      expect(m.text).toContain(`Person reference: ${approved.body.personId}`);
      expect(leaks(m.raw, ['Wilhelmina', 'Kortenhoeven'])).toEqual([]);
    }
  });

  it('an SMTP outage: the mail waits in the outbox, is retried with backoff and delivered once after recovery', async () => {
    await smtp.stop();
    const filed = await fileGrant('2027-07-01T00:00:00Z');
    await refuse(filed.body.id, 'no');
    const failed = await worker.round();
    expect(failed.failed).toBe(1);
    expect(failed.sent).toBe(0);
    const notifications = t.app.get(Notifications);
    const pending = (await notifications.outbox('pending')).filter((r) => r.kind === 'request_decided');
    expect(pending).toHaveLength(2);
    expect(pending.map((r) => r.attempts).sort()).toEqual([0, 1]); // the second waited without spending an attempt
    expect(pending.find((r) => r.attempts === 1)!.lastError).toMatch(/^E[A-Z]+$/);
    await smtp.start();
    // Not due yet: the first retry waits NOTIFY_RETRY_BASE_S (30 s); the untried one goes now.
    expect((await worker.round()).sent).toBe(1);
    expect((await worker.round()).sent).toBe(0);
    t.clock.advance(30_000);
    expect((await worker.round()).sent).toBe(1);
    t.clock.advance(3_600_000);
    expect(await worker.round()).toEqual({ sent: 0, failed: 0, dropped: 0 });
    const mails = mailsAbout(filed.body.id);
    expect(mails.map((m) => m.to[0]).sort()).toEqual([ADDRESS_A, ADDRESS_A2].sort());
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(2);
  });

  it('two rounds at once (two instances) send each mail once', async () => {
    const filed = [await fileGrant('2027-08-01T00:00:00Z'), await fileGrant('2027-08-02T00:00:00Z'), await fileGrant('2027-08-03T00:00:00Z')];
    for (const f of filed) await refuse(f.body.id, 'no');
    const [r1, r2] = await Promise.all([worker.round(), worker.round()]);
    expect(r1.sent + r2.sent).toBe(6);
    for (const f of filed) expect(mailsAbout(f.body.id)).toHaveLength(2);
  });

  it('a permanently refused mailbox is dead at once, listed for staff, and can be retried', async () => {
    smtp.refused.add(ADDRESS_A2);
    const filed = await fileGrant('2027-09-01T00:00:00Z');
    await refuse(filed.body.id, 'no');
    expect(await worker.round()).toMatchObject({ sent: 1, failed: 1 });
    const dead = await t.http().get('/notifications/outbox').query({ status: 'dead' }).set(bearer(t.adminToken)).expect(200);
    expect(dead.body).toEqual([
      expect.objectContaining({ staffId: adminA2.staffId, kind: 'request_decided', attempts: 1, lastError: 'smtp_550', status: 'dead' }),
    ]);
    expect(JSON.stringify(dead.body)).not.toContain('@');
    const summary = await t.http().get('/notifications/outbox/summary').set(bearer(security)).expect(200);
    expect(summary.body).toMatchObject({ dead: 1, sending: true });
    expect((await t.http().get('/notifications/outbox').set(bearer(security)).expect(403)).body.code).toBe('auth.forbidden');
    smtp.refused.delete(ADDRESS_A2);
    await t.http().post(`/notifications/outbox/${dead.body[0].id}/retry`).set(bearer(t.adminToken)).expect(200);
    expect((await t.http().post(`/notifications/outbox/${dead.body[0].id}/retry`).set(bearer(t.adminToken)).expect(409)).body.code).toBe(
      'notification.not_dead',
    );
    expect((await worker.round()).sent).toBe(1);
    expect(mailsAbout(filed.body.id)).toHaveLength(2);
  });

  it('a person denied N (3) times in a row at a zone is told once per streak; a grant ends the streak', async () => {
    const log = t.app.get(AccessLogService);
    expect(await watchers.denials()).toBe(0); // the first round only notes where A's history is
    const attempt = async (result: 'granted' | 'denied') => {
      t.clock.advance(1000);
      await log.appendDurable([
        {
          customerId: a.id,
          personId: personOfA.id,
          siteId: site.siteId,
          zoneId: site.cageZoneId,
          doorId: site.cageDoorId,
          readerId: site.entryReaderId,
          direction: 'entry',
          result,
          reason: result === 'granted' ? 'granted' : 'no_grant_for_door',
          occurredAt: t.clock.nowMs(),
        },
      ]);
    };
    await attempt('denied');
    await attempt('denied');
    expect(await watchers.denials()).toBe(0);
    await attempt('denied');
    await attempt('denied'); // the fourth: the same streak, not told again
    expect(await watchers.denials()).toBe(1);
    await attempt('granted');
    for (let i = 0; i < 3; i++) await attempt('denied');
    expect(await watchers.denials()).toBe(1);
    expect(await watchers.denials()).toBe(0);
    await worker.round();
    const mails = smtp.to(ADDRESS_A).filter((m) => m.subject === '[ACS] Access denied 3 times in a row');
    expect(mails).toHaveLength(2);
    expect(mails[0]!.text).toContain(`Person reference ${personOfA.id} was denied 3 times in a row at zone ${site.cageZoneId}`);
    expect(mails[0]!.text).toContain('Details: https://acs.example.com/console/portal-history');
    for (const m of mails) expect(leaks(m.raw)).toEqual([]);
    // The second administrator of A did not ask for these.
    expect(smtp.to(ADDRESS_A2).filter((m) => m.subject.includes('denied'))).toEqual([]);
  });

  it('access ending within 14 days is told once per grant, following the clock', async () => {
    const ends = t.clock.nowMs() + 20 * DAY;
    const grant = await post<{ id: string }>(t, '/grants', {
      accessLevelId: site.suiteLevelId,
      customerId: a.id,
      personId: personOfA.id,
      validUntil: new Date(ends).toISOString(),
    });
    await watchers.accessEnding();
    await worker.round();
    expect(mailsAbout(grant.id)).toEqual([]);
    t.clock.advance(7 * DAY);
    await watchers.accessEnding();
    t.clock.advance(DAY);
    await watchers.accessEnding();
    await worker.round();
    const mails = mailsAbout(grant.id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual([ADDRESS_A]);
    expect(mails[0]!.subject).toBe(`[ACS] Access ending on ${new Date(ends).toISOString().slice(0, 10)}`);
    expect(mails[0]!.text).toContain(`The access of person reference ${personOfA.id} to access level ${site.suiteLevelId} (grant ${grant.id}) ends at`);
    expect(leaks(mails[0]!.raw)).toEqual([]);
  });

  it("a visitor's check-in at the desk mails the host customer's administrators once, naming the visit by id only", async () => {
    const host = await createPerson(t, b.id, { fullName: 'Gerrit Gastheer' });
    await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId: b.id });
    const at = (ms: number) => new Date(t.clock.nowMs() + ms).toISOString();
    const registered = await t
      .http()
      .post(`/customers/${b.id}/visitors`)
      .set(bearer(t.adminToken))
      .send({
        fullName: 'Wilma Bezoeker',
        company: 'Kabelwerk Delta B.V.',
        email: 'wilma@kabelwerk.example',
        hostPersonId: host.id,
        accessLevelId: site.suiteLevelId,
        windowStart: at(0),
        windowEnd: at(4 * 3_600_000),
      })
      .expect(201);
    const visitorId = registered.body.id as string;
    // Registering is not an arrival.
    await worker.round();
    expect(mailsAbout(visitorId)).toEqual([]);
    await t.http().post(`/visitors/${visitorId}/check-in`).set(bearer(security)).send({ idChecked: true }).expect(200);
    // A second check-in is refused and queues nothing more.
    expect((await t.http().post(`/visitors/${visitorId}/check-in`).set(bearer(security)).send({ idChecked: true }).expect(409)).body.code).toBe(
      'visitor.not_expected',
    );
    await worker.round();
    await worker.round();
    const mails = mailsAbout(visitorId);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual([ADDRESS_B]);
    expect(mails[0]!.subject).toBe('[ACS] Visitor arrived');
    expect(mails[0]!.text).toContain(`Visitor ${visitorId} arrived at the security desk at ${new Date(t.clock.nowMs()).toISOString().replace('.000Z', 'Z')}.`);
    expect(mails[0]!.text).toContain('Details: https://acs.example.com/console/portal-visitors');
    expect(leaks(mails[0]!.raw, ['Wilma', 'Bezoeker', 'Kabelwerk', 'Gerrit', 'Gastheer'])).toEqual([]);
    // A's administrators (one subscribed to arrivals) heard nothing of B's visitor.
    expect(smtp.to(ADDRESS_A).filter((m) => m.subject === '[ACS] Visitor arrived')).toEqual([]);
  });

  it('an administrator who removes the address gets nothing more; a disabled account neither', async () => {
    // The fake clock went on by days: the sessions have lapsed.
    adminA2 = await signInAgain(adminA2.staffId, 'notify-admin-a2');
    await save(a.id, adminA2, { email: null, kinds: ['request_decided'] }).expect(200);
    await t.http().post(`/staff/${adminA.staffId}/disable`).set(bearer(t.adminToken)).expect(200);
    const filed = await fileGrant('2027-10-01T00:00:00Z');
    await refuse(filed.body.id, 'no');
    await worker.round();
    expect(mailsAbout(filed.body.id)).toEqual([]);
  });

  it('no mail ever carried a name, an e-mail or a phone number of a person', () => {
    expect(smtp.mails.length).toBeGreaterThan(10);
    for (const m of smtp.mails) {
      expect(leaks(m.raw, [...Object.values(PERSON), 'notify-admin'])).toEqual([]);
      expect(m.from).toBe('acs@localhost');
    }
  });
});
