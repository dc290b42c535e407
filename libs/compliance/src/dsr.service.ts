import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { stringify } from 'csv-stringify/sync';
import { DataSource } from 'typeorm';
import { PersonHistory } from '@acs/access-log';
import { Clock } from '@acs/clock';
import { CredentialService, type CardView } from '@acs/credentials';
import { WriteQueue } from '@acs/database';
import { TemplateVault } from '@acs/reader-fleet';
import { ConflictError, DomainError, NotFoundError } from '@acs/http';
import { AuditService, type AuditActor } from '@acs/audit';
import { PersonRecords, PersonService, type PersonRecord } from '@acs/registry';
import { DsrCaseEntity, type DsrKind, type IdentityMethod } from './entities.js';
import { ErasureService, type ErasureJobView } from './erasure.service.js';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** Art. 12(3): one month, extendable by two further months. Calendar months, in UTC. */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.getTime();
}

export interface DsrCaseView {
  id: string;
  kind: DsrKind;
  personId: string;
  customerId: string;
  receivedAt: string;
  identityMethod: IdentityMethod;
  identityCheckedBy: string;
  identityCheckedAt: string;
  dueAt: string;
  extended: boolean;
  extensionReason: string | null;
  status: string;
  overdue: boolean;
  outcome: string | null;
  closedAt: string | null;
  /** Who opened the case: compliance staff, or the customer (an administrator or token, through the portal). */
  filedBy: 'staff' | 'customer';
}

export const TEMPLATES_NOT_EXPORTED =
  'Fingerprint templates are not exported: a template is a vendor-specific biometric encoding that is of no use to you outside these readers, ' +
  'and a copy outside the system would be a new biometric store that can identify you. The list of enrolled fingers (metadata) is included.';

/**
 * A card as the person's export shows it: what it is and whether it works, with the last two
 * digits as the desk shows them. Never the number's hash or the PIN's: they are keyed one-way
 * values that mean nothing to the person, and a copy outside the system would be one more place
 * to test guessed card numbers or PINs against.
 */
function exportedCard(c: CardView) {
  return {
    id: c.id,
    format: c.format,
    bitCount: c.bitCount,
    hint: `…${c.hint}`,
    state: c.state,
    validFrom: iso(c.validFrom),
    validUntil: iso(c.validUntil),
    pinSet: c.pinSet,
    pinLocked: c.pinLocked,
    issuedAt: iso(c.createdAt),
  };
}

/** Data-subject requests (GDPR Art. 15-21) as cases, and the actions that answer them. */
@Injectable()
export class DsrService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly people: PersonService,
    private readonly erasure: ErasureService,
    private readonly audit: AuditService,
    private readonly records: PersonRecords,
    private readonly vault: TemplateVault,
    private readonly history: PersonHistory,
    private readonly credentials: CredentialService,
  ) {}

  async open(dto: { kind: DsrKind; personId: string; receivedAt: string; identityMethod: IdentityMethod }, actor: AuditActor): Promise<DsrCaseView> {
    const p = await this.mustPerson(dto.personId);
    const receivedAt = Date.parse(dto.receivedAt);
    const now = this.clock.nowMs();
    if (receivedAt > now) throw new DomainError('compliance.bad_received_date', 'receivedAt is in the future');
    const c: DsrCaseEntity = {
      id: randomUUID(),
      kind: dto.kind,
      personId: p.id,
      customerId: p.customerId,
      receivedAt,
      identityMethod: dto.identityMethod,
      identityCheckedBy: `${actor.actorType}:${actor.actorId ?? '-'}`,
      identityCheckedAt: now,
      dueAt: addMonths(receivedAt, 1),
      extended: false,
      extensionReason: null,
      status: 'open',
      outcome: null,
      createdBy: `${actor.actorType}:${actor.actorId ?? '-'}`,
      createdAt: now,
      closedAt: null,
    };
    await this.writes.transaction((m) => m.insert(DsrCaseEntity, c));
    return this.view(c);
  }

  /**
   * A customer's administrator files a request on behalf of one of the customer's people (the
   * customer portal): a case like any other, its deadline one month from receipt (Art. 12(3)),
   * identity vouched for by the customer (`customer_confirmed`: the person's employer knows them).
   * Another customer's person is "not found", as on every customer-scoped route.
   */
  async fileForCustomer(customerId: string, dto: { kind: DsrKind; personId: string; receivedAt?: string }, actor: AuditActor): Promise<DsrCaseView> {
    await this.people.get(customerId, dto.personId);
    const receivedAt = dto.receivedAt ?? iso(this.clock.nowMs())!;
    return this.open({ kind: dto.kind, personId: dto.personId, receivedAt, identityMethod: 'customer_confirmed' }, actor);
  }

  /** The customer's own cases, soonest deadline first. */
  async listForCustomer(customerId: string): Promise<DsrCaseView[]> {
    const rows = await this.ds.getRepository(DsrCaseEntity).find({ where: { customerId }, order: { dueAt: 'ASC' }, take: 500 });
    return rows.map((r) => this.view(r));
  }

  async extend(id: string, reason: string): Promise<DsrCaseView> {
    const c = await this.writes.transaction(async (m) => {
      const e = await this.mustCase(id, m.findOne.bind(m));
      if (e.status !== 'open') throw new ConflictError('compliance.case_closed', 'the case is closed');
      if (e.extended) throw new ConflictError('compliance.case_extended', 'the deadline was already extended by two months');
      e.extended = true;
      e.extensionReason = reason;
      e.dueAt = addMonths(e.receivedAt, 3);
      await m.save(DsrCaseEntity, e);
      return e;
    });
    return this.view(c);
  }

  async close(id: string, status: 'completed' | 'rejected', outcome: string): Promise<DsrCaseView> {
    const c = await this.writes.transaction(async (m) => {
      const e = await this.mustCase(id, m.findOne.bind(m));
      if (e.status !== 'open') throw new ConflictError('compliance.case_closed', 'the case is closed');
      e.status = status;
      e.outcome = outcome;
      e.closedAt = this.clock.nowMs();
      await m.save(DsrCaseEntity, e);
      return e;
    });
    return this.view(c);
  }

  async list(q: { overdue?: boolean; status?: string; personId?: string }): Promise<DsrCaseView[]> {
    const where: Record<string, unknown> = {};
    if (q.status) where.status = q.status;
    if (q.personId) where.personId = q.personId;
    if (q.overdue) where.status = 'open';
    const rows = await this.ds.getRepository(DsrCaseEntity).find({ where, order: { dueAt: 'ASC' }, take: 500 });
    const views = rows.map((r) => this.view(r));
    return q.overdue ? views.filter((v) => v.overdue) : views;
  }

  async get(id: string): Promise<DsrCaseView> {
    return this.view(await this.mustCase(id));
  }

  // ------------------------------------------------------------------ actions

  /**
   * Art. 15/20: everything held about the person, decrypted, with the history of their badges
   * (sites, zones and doors by name as well as id: an id means nothing to the person). With a
   * case id the export answers that case: the case must be the person's and still open, the
   * document names it, and the audit trail links the two.
   */
  async exportPerson(personId: string, opts: { caseId?: string; format?: string; actor?: AuditActor } = {}): Promise<Record<string, unknown>> {
    const p = await this.mustPerson(personId);
    const answering = opts.caseId ? await this.caseToAnswer(opts.caseId, p.id) : null;
    const [view, employer, applying, cards, fingers, events, cases] = await Promise.all([
      this.people.get(p.customerId, p.id),
      this.records.employer(p.customerId),
      this.records.grantsOf(p),
      this.credentials.listPersonCards(p.id),
      this.vault.enrolledFingers(p.id),
      this.history.eventsOf(p.id),
      this.ds.getRepository(DsrCaseEntity).find({ where: { personId: p.id } }),
    ]);
    const distinct = (list: Array<string | null>) => [...new Set(list.filter((v): v is string => v !== null))];
    const names = await this.records.placeNames({
      sites: distinct(events.map((e) => e.siteId)),
      zones: distinct(events.map((e) => e.zoneId)),
      doors: distinct(events.map((e) => e.doorId)),
    });
    const doc = {
      exportedAt: iso(this.clock.nowMs()),
      ...(answering
        ? { answersRequest: { caseId: answering.id, kind: answering.kind, receivedAt: iso(answering.receivedAt), dueAt: iso(answering.dueAt) } }
        : {}),
      person: {
        id: view.id,
        fullName: view.fullName,
        email: view.email,
        phone: view.phone,
        status: view.status,
        validFrom: view.validFrom,
        validUntil: view.validUntil,
        createdAt: iso(p.createdAt),
      },
      employer,
      grants: applying.map((g) => ({
        id: g.id,
        accessLevelId: g.accessLevelId,
        scope: g.personId === null ? 'whole customer' : 'this person',
        validFrom: iso(g.validFrom),
        validUntil: iso(g.validUntil),
      })),
      cards: cards.map(exportedCard),
      enrolledFingers: fingers.map((f) => ({ finger: f.finger, model: f.model, format: f.format, quality: f.quality, enrolledAt: iso(f.enrolledAt) })),
      templatesNotExported: TEMPLATES_NOT_EXPORTED,
      accessHistory: events.map((e) => ({
        occurredAt: iso(e.occurredAt),
        siteId: e.siteId,
        siteName: names.sites.get(e.siteId) ?? null,
        zoneId: e.zoneId,
        zoneName: e.zoneId ? (names.zones.get(e.zoneId) ?? null) : null,
        doorId: e.doorId,
        doorName: e.doorId ? (names.doors.get(e.doorId) ?? null) : null,
        readerId: e.readerId,
        direction: e.direction,
        result: e.result,
        reason: e.reason,
        kind: e.kind,
        credential: e.credential,
      })),
      requests: cases.map((c) => this.view(c)),
    };
    if (answering && opts.actor) {
      await this.audit.record({
        actor: opts.actor,
        action: 'compliance.request.answered',
        targetType: 'dsr_case',
        targetId: answering.id,
        outcome: 'success',
        details: { personId: p.id, answer: 'export', format: opts.format ?? 'json' },
      });
    }
    return doc;
  }

  /** The open case of this person an export answers (access or portability). */
  private async caseToAnswer(caseId: string, personId: string): Promise<DsrCaseEntity> {
    const c = await this.mustCase(caseId);
    if (c.personId !== personId) throw new ConflictError('compliance.case_other_person', 'the case belongs to another person');
    if (c.kind !== 'access' && c.kind !== 'portability')
      throw new ConflictError('compliance.case_kind', `an export answers an access or portability request, not ${c.kind}`);
    if (c.status !== 'open') throw new ConflictError('compliance.case_closed', 'the case is closed');
    return c;
  }

  /**
   * The same export as CSV: one row per value, `section,index,field,value`. Values are exact: this
   * file is the person's own data, handed to them, and `+44 20 ...` must read as their number.
   * The formula guard (a leading `'` before `=`, `+`, `-`, `@`) stays on the operator exports
   * (access history), which staff open in spreadsheets; the README says so.
   */
  exportCsv(doc: Record<string, unknown>): string {
    const rows: string[][] = [];
    const push = (section: string, index: number | '', obj: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(obj)) rows.push([section, String(index), k, v === null || v === undefined ? '' : String(v)]);
    };
    for (const [section, value] of Object.entries(doc)) {
      if (Array.isArray(value)) value.forEach((item, i) => push(section, i, item as Record<string, unknown>));
      else if (value && typeof value === 'object') push(section, '', value as Record<string, unknown>);
      else rows.push([section, '', '', value === null || value === undefined ? '' : String(value)]);
    }
    return stringify(rows, { header: true, columns: ['section', 'index', 'field', 'value'] });
  }

  async rectify(personId: string, dto: { fullName?: string; email?: string | null; phone?: string | null }): Promise<{ id: string; updated: string[] }> {
    const p = await this.mustPerson(personId);
    const patch: Record<string, unknown> = {};
    for (const k of ['fullName', 'email', 'phone'] as const) if (dto[k] !== undefined) patch[k] = dto[k];
    if (Object.keys(patch).length === 0) throw new DomainError('compliance.nothing_to_rectify', 'give fullName, email or phone');
    await this.people.update(p.customerId, p.id, patch);
    return { id: p.id, updated: Object.keys(patch) };
  }

  /** Art. 18: kept but not processed. The planner takes a restricted person's templates off every reader. */
  async restrict(personId: string): Promise<{ id: string; status: string }> {
    const p = await this.mustPerson(personId);
    const v = await this.people.update(p.customerId, p.id, { status: 'restricted' });
    return { id: v.id, status: v.status };
  }

  /** Lifting restores the status and the next plan redistributes the templates. */
  async lift(personId: string): Promise<{ id: string; status: string }> {
    const p = await this.mustPerson(personId);
    if (p.status !== 'restricted') throw new ConflictError('compliance.not_restricted', 'the person is not restricted');
    const v = await this.people.update(p.customerId, p.id, { status: 'active' });
    return { id: v.id, status: v.status };
  }

  erase(personId: string, actor: AuditActor, caseId: string | null): Promise<ErasureJobView> {
    return this.erasure.startPersonErasure(personId, 'person', actor, caseId);
  }

  /** Consent withdrawn or objection to biometrics: templates everywhere go, the person stays. */
  withdrawBiometrics(personId: string, actor: AuditActor, caseId: string | null): Promise<ErasureJobView> {
    return this.erasure.startPersonErasure(personId, 'biometrics', actor, caseId);
  }

  private mustPerson(id: string): Promise<PersonRecord> {
    return this.records.person(id);
  }

  private async mustCase(id: string, find = this.ds.manager.findOne.bind(this.ds.manager)): Promise<DsrCaseEntity> {
    const c = await find(DsrCaseEntity, { where: { id } });
    if (!c) throw new NotFoundError('DsrCase', id);
    return c;
  }

  private view(c: DsrCaseEntity): DsrCaseView {
    return {
      id: c.id,
      kind: c.kind,
      personId: c.personId,
      customerId: c.customerId,
      receivedAt: iso(c.receivedAt)!,
      identityMethod: c.identityMethod,
      identityCheckedBy: c.identityCheckedBy,
      identityCheckedAt: iso(c.identityCheckedAt)!,
      dueAt: iso(c.dueAt)!,
      extended: c.extended,
      extensionReason: c.extensionReason,
      status: c.status,
      overdue: c.status === 'open' && this.clock.nowMs() > c.dueAt,
      outcome: c.outcome,
      closedAt: iso(c.closedAt),
      filedBy: c.createdBy.startsWith('staff:') ? 'staff' : 'customer',
    };
  }
}
