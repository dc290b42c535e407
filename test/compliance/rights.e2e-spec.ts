import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccessEventEntity, AccessLogService } from '@acs/access-log';
import { type ErasureService, TEMPLATES_NOT_EXPORTED } from '@acs/compliance';
import { CardCredentialEntity, CredentialService } from '@acs/credentials';
import { DataKeyEntity } from '@acs/crypto';
import { FingerprintTemplateEntity, type ReaderLibraryService, type ReaderManager } from '@acs/reader-fleet';
import { customerScope, PersonEntity } from '@acs/registry';
import { buildVirtualSite, startVirtualReader, tuneForTests, type Site, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { leaks } from '../support/personal-data.js';
import { bearer } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { anyFlashHolds, badgeEvents, endService, enrolPerson, erasure, issueCard, newCustomer, scanDatabase, searchEveryReader } from './compliance-support.js';
import { waitForErasure } from '../support/wait-for-erasure.js';
import { librarySettled } from '../support/library-settled.js';

jest.setTimeout(60_000);

describe('legal hold and data-subject rights', () => {
  let t: TestApp;
  let manager: ReaderManager;
  let library: ReaderLibraryService;
  let readers: VirtualDevice[];
  let site: Site;
  let eraser: ErasureService;
  let compliance: string;
  let auditor: string;
  let ds: DataSource;
  let doorReaders: string[];

  beforeAll(async () => {
    t = await startTestApp({ env: { READER_SYNC_INTERVAL_S: '3600', PURGE_SCHEDULE_ENABLED: 'false' } });
    ({ manager, library } = tuneForTests(t));
    readers = await Promise.all([0, 1, 2, 3].map(() => startVirtualReader(t.dir)));
    site = await buildVirtualSite(t, { desk: readers[0].url, suiteEntry: readers[1].url, suiteExit: readers[2].url, cageEntry: readers[3].url });
    doorReaders = [site.suiteEntryId, site.suiteExitId, site.cageEntryId];
    await Promise.all([site.deskId, ...doorReaders].map((id) => manager.whenReady(id)));
    eraser = erasure(t);
    compliance = await t.tokenFor('compliance');
    auditor = await t.tokenFor('auditor');
    ds = t.app.get(DataSource);
  });

  afterAll(async () => {
    await t.close();
    await Promise.all(readers.map((d) => d.close()));
  });

  it('a legal hold lets the purge take templates off readers and server but defers names, history and key until release', async () => {
    const customerId = await newCustomer(t, 'HOLD', 'Contactpersoon Hold-Marker');
    const eva = await enrolPerson(t, site, readers, library, customerId, 'Eva');
    const evaCard = await issueCard(t, customerId, eva.personId, { pin: '5190' });
    await badgeEvents(t, site, customerId, eva.personId, 10);
    const hold = await t
      .http()
      .post('/compliance/legal-holds')
      .set(bearer(compliance))
      .send({ customerId, reason: 'Request of the public prosecutor', reference: 'OM-2026-1234' })
      .expect(201);
    await t.http().post('/compliance/legal-holds').set(bearer(auditor)).send({ customerId, reason: 'nope', reference: 'x' }).expect(403);

    await endService(t, customerId);
    const started = await t.http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(202);
    const held = await waitForErasure(eraser, started.body.id as string, ['held']);
    expect(held.step).toBe('server_data');

    // Biometrics gone everywhere regardless of the hold.
    expect(anyFlashHolds(readers, eva.template)).toBe(false);
    await expect(searchEveryReader(manager, doorReaders, eva.template)).resolves.toEqual([null, null, null]);
    await expect(ds.getRepository(FingerprintTemplateEntity).countBy({ customerId })).resolves.toBe(0);
    expect((await scanDatabase(t, { plaintext: [], ciphertexts: [eva.ciphertexts[3]] })).ciphertext).toBe(0);
    // Held: names, history and the key stay.
    await expect(ds.getRepository(PersonEntity).countBy({ customerId })).resolves.toBe(1);
    await expect(ds.getRepository(AccessEventEntity).countBy({ customerId })).resolves.toBe(10);
    await expect(ds.getRepository(DataKeyEntity).countBy({ scope: customerScope(customerId) })).resolves.toBe(1);
    // The card is the person's record like the name: held with it (and still unlinkable once the key goes).
    await expect(ds.getRepository(CardCredentialEntity).countBy({ customerId })).resolves.toBe(1);

    const [first] = await eraser.certificates({ customerId });
    const c1 = await eraser.certificate(first.id);
    expect(c1.valid).toBe(true);
    expect(c1.body).toMatchObject({
      complete: false,
      counts: { templateRows: 1 },
      dataKey: { destroyed: false, reason: 'legal_hold' },
      physical: { clean: true, values: { plaintext: 0, ciphertext: 1, cards: 0 } },
    });
    expect(c1.body.counts).not.toHaveProperty('cards');
    expect((c1.body.deferred as { parts: string[]; holdIds: string[] }).parts.sort()).toEqual(['history', 'key', 'names']);
    expect((c1.body.deferred as { holdIds: string[] }).holdIds).toEqual([hold.body.id]);

    await t.http().post(`/compliance/legal-holds/${hold.body.id}/release`).set(bearer(compliance)).send({ reason: 'Investigation closed' }).expect(200);
    const done = await waitForErasure(eraser, started.body.id as string, ['done']);
    expect(done.state).toBe('done');
    await expect(ds.getRepository(PersonEntity).countBy({ customerId })).resolves.toBe(0);
    await expect(ds.getRepository(AccessEventEntity).countBy({ customerId })).resolves.toBe(0);
    await expect(ds.getRepository(DataKeyEntity).countBy({ scope: customerScope(customerId) })).resolves.toBe(0);
    await expect(ds.getRepository(CardCredentialEntity).countBy({ customerId })).resolves.toBe(0);
    expect(await scanDatabase(t, { plaintext: eva.plaintext, ciphertexts: eva.ciphertexts })).toEqual({ plaintext: 0, ciphertext: 0 });
    expect(await scanDatabase(t, { plaintext: evaCard.stored, ciphertexts: [] })).toEqual({ plaintext: 0, ciphertext: 0 });
    const certs = await eraser.certificates({ customerId });
    expect(certs).toHaveLength(2);
    const final = await eraser.certificate(certs.find((c) => c.complete)!.id);
    expect(final.body).toMatchObject({
      complete: true,
      deferred: null,
      counts: { people: 1, cards: 1, pins: 1 },
      dataKey: { destroyed: true },
      physical: { clean: true, values: { cards: 2 } },
      history: { events: 10 },
      previousCertificates: [first.id],
    });

    const audit = await t.http().get('/audit?action=compliance.legal_hold.release').set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items).toEqual([expect.objectContaining({ targetId: hold.body.id, outcome: 'success' })]);
  });

  it('erases one person everywhere with a certificate; colleagues and the customer chain stay intact', async () => {
    const customerId = await newCustomer(t, 'PERSON', 'Contactpersoon Person-Marker');
    const frits = await enrolPerson(t, site, readers, library, customerId, 'Frits');
    const gerda = await enrolPerson(t, site, readers, library, customerId, 'Gerda');
    const fritsCards = [await issueCard(t, customerId, frits.personId, { pin: '7734' }), await issueCard(t, customerId, frits.personId)];
    const fritsHashes = fritsCards.flatMap((c) => c.stored);
    const gerdaCard = await issueCard(t, customerId, gerda.personId, { pin: '2468' });
    expect((await scanDatabase(t, { plaintext: fritsHashes, ciphertexts: [] })).plaintext).toBeGreaterThanOrEqual(3);
    await badgeEvents(t, site, customerId, frits.personId, 5);
    await badgeEvents(t, site, customerId, gerda.personId, 5);
    await badgeEvents(t, site, customerId, frits.personId, 5);

    const started = await t.http().post(`/compliance/people/${frits.personId}/erase`).set(bearer(compliance)).send({}).expect(202);
    const job = await waitForErasure(eraser, started.body.id as string);
    expect(job.state).toBe('done');

    expect(anyFlashHolds(readers, frits.template)).toBe(false);
    await expect(searchEveryReader(manager, doorReaders, frits.template)).resolves.toEqual([null, null, null]);
    expect(anyFlashHolds(readers, gerda.template)).toBe(true);
    await t.http().get(`/customers/${customerId}/people/${frits.personId}`).set(bearer(t.adminToken)).expect(404);
    await t.http().get(`/customers/${customerId}/people/${gerda.personId}`).set(bearer(t.adminToken)).expect(200);
    await expect(ds.getRepository(AccessEventEntity).countBy({ personId: frits.personId })).resolves.toBe(0);
    await expect(ds.getRepository(AccessEventEntity).countBy({ personId: gerda.personId })).resolves.toBe(5);
    await expect(t.app.get(AccessLogService).verify(customerId)).resolves.toMatchObject({ ok: true, checked: 5 });
    expect(await scanDatabase(t, { plaintext: frits.plaintext, ciphertexts: frits.ciphertexts })).toEqual({ plaintext: 0, ciphertext: 0 });
    // The cards and the PIN: rows and every stored byte of their hashes gone; the colleague's card stays.
    await expect(ds.getRepository(CardCredentialEntity).countBy({ personId: frits.personId })).resolves.toBe(0);
    expect(await scanDatabase(t, { plaintext: fritsHashes, ciphertexts: [] })).toEqual({ plaintext: 0, ciphertext: 0 });
    await expect(t.app.get(CredentialService).listPersonCards(gerda.personId)).resolves.toEqual([
      expect.objectContaining({ id: gerdaCard.cardId, pinSet: true }),
    ]);
    // Positive control on the colleague: still there.
    expect((await scanDatabase(t, { plaintext: [], ciphertexts: gerda.ciphertexts })).ciphertext).toBeGreaterThan(0);
    expect((await scanDatabase(t, { plaintext: gerdaCard.stored, ciphertexts: [] })).plaintext).toBeGreaterThanOrEqual(2);

    const [cert] = await eraser.certificates({ customerId });
    const c = await eraser.certificate(cert.id);
    expect(c.valid).toBe(true);
    expect(c.body).toMatchObject({
      kind: 'person',
      personId: frits.personId,
      complete: true,
      counts: { people: 1, templateRows: 1, cards: 2, pins: 1 },
      history: { mode: 'strip_person', events: 10, newHeadSeq: 5 },
      physical: { clean: true, values: { cards: 3 } },
    });
    expect(leaks(JSON.stringify(c.body), [...frits.plaintext, ...gerda.plaintext, ...fritsHashes, ...gerdaCard.stored])).toEqual([]);
  });

  it('a hold on one person defers the erasure of their name and history, not of their templates', async () => {
    const customerId = await newCustomer(t, 'PHOLD', 'Contactpersoon PHold-Marker');
    const lars = await enrolPerson(t, site, readers, library, customerId, 'Lars');
    await badgeEvents(t, site, customerId, lars.personId, 4);
    const hold = await t
      .http()
      .post('/compliance/legal-holds')
      .set(bearer(compliance))
      .send({ customerId, personId: lars.personId, reason: 'Labour court case', reference: 'RB-2026-77' })
      .expect(201);
    const started = await t.http().post(`/compliance/people/${lars.personId}/erase`).set(bearer(compliance)).send({}).expect(202);
    await waitForErasure(eraser, started.body.id as string, ['held']);
    expect(anyFlashHolds(readers, lars.template)).toBe(false);
    await expect(ds.getRepository(FingerprintTemplateEntity).countBy({ personId: lars.personId })).resolves.toBe(0);
    await expect(ds.getRepository(PersonEntity).countBy({ id: lars.personId })).resolves.toBe(1);
    await expect(ds.getRepository(AccessEventEntity).countBy({ personId: lars.personId })).resolves.toBe(4);
    await t.http().post(`/compliance/legal-holds/${hold.body.id}/release`).set(bearer(compliance)).send({ reason: 'Case settled' }).expect(200);
    await waitForErasure(eraser, started.body.id as string, ['done']);
    await expect(ds.getRepository(PersonEntity).countBy({ id: lars.personId })).resolves.toBe(0);
    await expect(ds.getRepository(AccessEventEntity).countBy({ personId: lars.personId })).resolves.toBe(0);
    const certs = await eraser.certificates({ customerId });
    expect(certs.map((c) => c.complete).sort()).toEqual([false, true]);
  });

  it('restriction takes templates off the readers and denies with person_restricted; lifting redistributes them', async () => {
    const customerId = await newCustomer(t, 'RESTRICT', 'Contactpersoon Restrict-Marker');
    const hans = await enrolPerson(t, site, readers, library, customerId, 'Hans');
    await t.http().post(`/compliance/people/${hans.personId}/restrict`).set(bearer(compliance)).send({}).expect(200);
    await librarySettled(library);
    expect(anyFlashHolds(readers, hans.template)).toBe(false);
    await expect(searchEveryReader(manager, doorReaders, hans.template)).resolves.toEqual([null, null, null]);
    const access = await t.http().get(`/customers/${customerId}/people/${hans.personId}/access`).set(bearer(t.adminToken)).expect(200);
    expect((access.body as Array<{ allowed: boolean; reason: string }>).every((a) => !a.allowed && a.reason === 'person_restricted')).toBe(true);
    // Kept, not processed: the server copy stays.
    await expect(ds.getRepository(FingerprintTemplateEntity).countBy({ personId: hans.personId })).resolves.toBe(1);

    await t.http().post(`/compliance/people/${hans.personId}/lift-restriction`).set(bearer(compliance)).send({}).expect(200);
    await librarySettled(library);
    expect(anyFlashHolds([readers[1]], hans.template)).toBe(true);
    expect(anyFlashHolds([readers[2]], hans.template)).toBe(true);
    await t.http().post(`/compliance/people/${hans.personId}/lift-restriction`).set(bearer(compliance)).send({}).expect(409);
  });

  it('withdrawal of consent erases the templates everywhere and keeps the person', async () => {
    const customerId = await newCustomer(t, 'CONSENT', 'Contactpersoon Consent-Marker');
    const ida = await enrolPerson(t, site, readers, library, customerId, 'Ida');
    const idaCard = await issueCard(t, customerId, ida.personId, { pin: '9051' });
    const started = await t.http().post(`/compliance/people/${ida.personId}/withdraw-biometrics`).set(bearer(compliance)).send({}).expect(202);
    await waitForErasure(eraser, started.body.id as string);
    expect(anyFlashHolds(readers, ida.template)).toBe(false);
    await expect(ds.getRepository(FingerprintTemplateEntity).countBy({ personId: ida.personId })).resolves.toBe(0);
    const person = await t.http().get(`/customers/${customerId}/people/${ida.personId}`).set(bearer(t.adminToken)).expect(200);
    expect(person.body.fullName).toBe(ida.plaintext[0]);
    expect((await scanDatabase(t, { plaintext: [], ciphertexts: [ida.ciphertexts[3]] })).ciphertext).toBe(0);
    // The card is not biometric: the person keeps it, PIN and all, and the certificate claims none erased.
    await expect(t.app.get(CredentialService).listPersonCards(ida.personId)).resolves.toEqual([
      expect.objectContaining({ id: idaCard.cardId, state: 'active', pinSet: true }),
    ]);
    expect((await scanDatabase(t, { plaintext: idaCard.stored, ciphertexts: [] })).plaintext).toBeGreaterThanOrEqual(2);
    const [cert] = await eraser.certificates({ customerId });
    const c = await eraser.certificate(cert.id);
    expect(c).toMatchObject({ valid: true, body: { kind: 'biometrics', counts: { templateRows: 1 }, physical: { values: { cards: 0 } } } });
    expect(c.body.counts).not.toHaveProperty('cards');
    expect(c.body.counts).not.toHaveProperty('pins');
  });

  it('tracks a request as a case with its deadline, exports everything held (JSON and CSV) and rectifies', async () => {
    const customerId = await newCustomer(t, 'EXPORT', 'Contactpersoon Export-Marker');
    const jan = await enrolPerson(t, site, readers, library, customerId, 'Jan');
    const janCard = await issueCard(t, customerId, jan.personId, { pin: '3141', hint: 47 });
    await badgeEvents(t, site, customerId, jan.personId, 3);
    const receivedAt = new Date(t.clock.nowMs() - 86_400_000).toISOString();
    const opened = await t
      .http()
      .post('/compliance/requests')
      .set(bearer(compliance))
      .send({ kind: 'access', personId: jan.personId, receivedAt, identityMethod: 'id_document_checked' })
      .expect(201);
    expect(opened.body).toMatchObject({ status: 'open', overdue: false, extended: false, identityMethod: 'id_document_checked' });
    expect(new Date(opened.body.dueAt as string).getUTCMonth()).toBe((new Date(receivedAt).getUTCMonth() + 1) % 12);
    await t
      .http()
      .post('/compliance/requests')
      .set(bearer(compliance))
      .send({ kind: 'access', personId: jan.personId, receivedAt, identityMethod: 'scan_of_passport' })
      .expect(400);

    const json = await t.http().get(`/compliance/people/${jan.personId}/export`).set(bearer(compliance)).expect(200);
    expect(json.body).toMatchObject({
      person: { id: jan.personId, fullName: jan.plaintext[0], email: jan.plaintext[1], phone: jan.plaintext[2] },
      templatesNotExported: TEMPLATES_NOT_EXPORTED,
    });
    expect(json.body.enrolledFingers).toEqual([expect.objectContaining({ finger: 1, model: 'r503' })]);
    expect(json.body.accessHistory).toHaveLength(3);
    expect(json.body.grants).toHaveLength(1);
    expect(JSON.stringify(json.body)).not.toContain(jan.ciphertexts[3].slice(60, 108));
    // The card, masked: what it is and its state, the last two digits at most, never a hash.
    expect(json.body.cards).toEqual([
      {
        id: janCard.cardId,
        format: 'wiegand',
        bitCount: 26,
        hint: '…47',
        state: 'active',
        validFrom: null,
        validUntil: null,
        pinSet: true,
        pinLocked: false,
        issuedAt: expect.any(String),
      },
    ]);
    expect(leaks(JSON.stringify(json.body), janCard.stored)).toEqual([]);
    const csv = await t.http().get(`/compliance/people/${jan.personId}/export?format=csv`).set(bearer(compliance)).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text.split('\n')[0]).toBe('section,index,field,value');
    expect(csv.text).toContain(jan.plaintext[0]);
    // The person's own data, exact: no spreadsheet formula escaping in this export (issue 15).
    expect(csv.text).toContain(`,phone,${jan.plaintext[2]}\n`);
    expect(csv.text).not.toContain("'+31 6");
    expect(csv.text).toContain('templatesNotExported');
    expect(csv.text).toContain(`cards,0,id,${janCard.cardId}\n`);
    expect(csv.text).toContain('cards,0,hint,…47\n');
    expect(csv.text).toContain('cards,0,pinSet,true\n');
    expect(leaks(csv.text, janCard.stored)).toEqual([]);
    await t.http().get(`/compliance/people/${jan.personId}/export`).set(bearer(auditor)).expect(403);

    await t.http().post(`/compliance/people/${jan.personId}/rectify`).set(bearer(compliance)).send({ fullName: 'Jan Gecorrigeerd-Marker' }).expect(200);
    const person = await t.http().get(`/customers/${customerId}/people/${jan.personId}`).set(bearer(t.adminToken)).expect(200);
    expect(person.body.fullName).toBe('Jan Gecorrigeerd-Marker');
    const audit = await t.http().get('/audit?action=compliance.person.rectify').set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items).toEqual([expect.objectContaining({ targetId: jan.personId, outcome: 'success' })]);
    expect(leaks(JSON.stringify(audit.body), ['Jan Gecorrigeerd-Marker', ...jan.plaintext])).toEqual([]);

    // Overdue after a month; extended by two with a reason; closed with an outcome.
    t.clock.advance(40 * 86_400_000);
    const overdue = await t.http().get('/compliance/requests?overdue=true').set(bearer(compliance)).expect(200);
    expect(overdue.body.map((c: { id: string }) => c.id)).toContain(opened.body.id);
    const extended = await t
      .http()
      .post(`/compliance/requests/${opened.body.id}/extend`)
      .set(bearer(compliance))
      .send({ reason: 'Complex request: history over several sites' })
      .expect(200);
    expect(extended.body).toMatchObject({ extended: true, overdue: false });
    await t.http().post(`/compliance/requests/${opened.body.id}/extend`).set(bearer(compliance)).send({ reason: 'again' }).expect(409);
    const closed = await t
      .http()
      .post(`/compliance/requests/${opened.body.id}/close`)
      .set(bearer(compliance))
      .send({ status: 'completed', outcome: 'Export sent by registered mail' })
      .expect(200);
    expect(closed.body).toMatchObject({ status: 'completed', overdue: false });
  });
});
