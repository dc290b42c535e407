import { Controller, Get, Inject, Optional, Param, ParseUUIDPipe, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Allow, AllowStaffOrOwnCustomer, Audited, type StaffRole } from '@acs/auth';
import { CHAIN_WITNESS, type ChainWitness } from '@acs/database';
import { ApiProblems, iso, isoOrNull } from '@acs/http';
import { AccessLogExporter } from './access-log.exporter.js';
import { type AccessEventFilter, AccessLogService, type AccessEventPage } from './access-log.service.js';
import {
  AccessChainVerdictView,
  AccessEventExportQueryDto,
  type AccessEventFilterDto,
  AccessEventPageView,
  AccessEventQueryDto,
  type AccessEventView,
  AccessTotalsQueryDto,
  AccessTotalsView,
  DoorAccessEventQueryDto,
  RetentionStatusView,
} from './dto/access-log.dto.js';
import type { AccessEvent } from './model.js';
import type { RetentionStatus } from './retention.js';

/** Who reads history: every staff role (the security desk investigates, auditors sample). */
const HISTORY_READ: StaffRole[] = ['admin', 'security', 'compliance', 'auditor'];
/** Who verifies chains and sees retention: the roles that answer for the record. */
const HISTORY_ASSURANCE: StaffRole[] = ['admin', 'compliance', 'auditor'];

function view(e: AccessEvent): AccessEventView {
  return {
    id: e.id,
    occurredAt: iso(e.occurredAt),
    recordedAt: iso(e.recordedAt),
    customerId: e.customerId,
    personId: e.personId,
    siteId: e.siteId,
    zoneId: e.zoneId,
    doorId: e.doorId,
    readerId: e.readerId,
    direction: e.direction,
    result: e.result,
    reason: e.reason,
    kind: e.kind,
    attemptId: e.attemptId,
    seq: e.seq,
    hash: e.hash,
    credential: e.credential,
    degraded: e.degraded,
  };
}

function pageView(p: AccessEventPage): AccessEventPageView {
  return p.nextCursor ? { items: p.items.map(view), nextCursor: p.nextCursor } : { items: p.items.map(view) };
}

function filterOf(q: AccessEventFilterDto): AccessEventFilter {
  return {
    personId: q.personId,
    doorId: q.doorId,
    zoneId: q.zoneId,
    siteId: q.siteId,
    result: q.result,
    reason: q.reason,
    kind: q.kind,
    from: q.from ? Date.parse(q.from) : undefined,
    to: q.to ? Date.parse(q.to) : undefined,
  };
}

function retentionView(s: RetentionStatus): RetentionStatusView {
  return {
    customerId: s.customerId,
    policy: { ...s.policy },
    serviceEnd: isoOrNull(s.serviceEnd),
    appliesAt: isoOrNull(s.appliesAt),
    keepUntil: isoOrNull(s.keepUntil),
    state: s.state,
    events: s.events,
    oldestAt: isoOrNull(s.oldestAt),
    newestAt: isoOrNull(s.newestAt),
  };
}

/**
 * Access history over HTTP. Every read is audited. A customer token reaches only routes whose
 * `customerId` parameter is its own customer, and every query there is bound to that customer
 * whatever other filter or cursor it passes.
 */
@ApiTags('access history')
@ApiBearerAuth()
@ApiProblems()
@Controller()
export class AccessLogController {
  constructor(
    private readonly log: AccessLogService,
    private readonly exporter: AccessLogExporter,
    @Optional() @Inject(CHAIN_WITNESS) private readonly witness?: ChainWitness,
  ) {}

  /** The chain's own verdict, and whether it still holds what the newest signed checkpoint saw. */
  private async witnessed(verdict: AccessChainVerdictView): Promise<AccessChainVerdictView> {
    if (!this.witness) return verdict;
    const checkpoint = await this.witness.witness(verdict.chainId);
    return { ...verdict, ok: verdict.ok && checkpoint.ok, checkpoint: { ...checkpoint } };
  }

  @Get('customers/:customerId/access-events')
  @AllowStaffOrOwnCustomer('customerId', ...HISTORY_READ)
  @Audited({ action: 'access_event.list', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: "A customer's access history, newest first, filtered, keyset-paged (audited)" })
  @ApiOkResponse({ type: AccessEventPageView })
  async list(@Param('customerId', ParseUUIDPipe) customerId: string, @Query() q: AccessEventQueryDto): Promise<AccessEventPageView> {
    await this.log.requireCustomer(customerId);
    return pageView(await this.log.findPage({ ...filterOf(q), customerId }, { cursor: q.cursor, limit: q.limit ?? 50 }));
  }

  @Get('customers/:customerId/access-events/export')
  @AllowStaffOrOwnCustomer('customerId', ...HISTORY_READ)
  @Audited({ action: 'access_event.export', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({
    summary: "Export a customer's access history as CSV or JSON Lines (streamed; X-Total-Count announces the rows; audited)",
  })
  @ApiProduces('text/csv', 'application/x-ndjson')
  @ApiOkResponse({
    description: 'Streamed rows; X-Total-Count announces how many',
    content: { 'text/csv': { schema: { type: 'string' } }, 'application/x-ndjson': { schema: { type: 'string' } } },
  })
  async export(
    @Param('customerId', ParseUUIDPipe) customerId: string,
    @Query() q: AccessEventExportQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    await this.log.requireCustomer(customerId);
    const out = await this.exporter.export({ ...filterOf(q), customerId }, { format: q.format ?? 'csv', timeZone: q.timeZone });
    res.setHeader('X-Total-Count', String(out.total));
    res.setHeader('Cache-Control', 'no-store');
    return new StreamableFile(out.stream, {
      type: out.contentType,
      disposition: `attachment; filename="access-history-${customerId}.${out.fileExtension}"`,
    });
  }

  @Get('customers/:customerId/access-events/totals')
  @AllowStaffOrOwnCustomer('customerId', ...HISTORY_READ)
  @Audited({ action: 'access_event.totals', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: 'Attempts per local day and door for a period (granted, denied)' })
  @ApiOkResponse({ type: AccessTotalsView })
  async totals(@Param('customerId', ParseUUIDPipe) customerId: string, @Query() q: AccessTotalsQueryDto): Promise<AccessTotalsView> {
    await this.log.requireCustomer(customerId);
    const t = await this.log.totals({ customerId, personId: q.personId, doorId: q.doorId, siteId: q.siteId, from: Date.parse(q.from), to: Date.parse(q.to) });
    return { from: iso(t.from), to: iso(t.to), timeZones: t.timeZones, days: t.days };
  }

  @Get('customers/:customerId/access-events/verify')
  @AllowStaffOrOwnCustomer('customerId', ...HISTORY_ASSURANCE)
  @Audited({ action: 'access_event.verify', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: "Verify the customer's hash chain; names the first broken link" })
  @ApiOkResponse({ type: AccessChainVerdictView })
  async verify(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<AccessChainVerdictView> {
    await this.log.requireCustomer(customerId);
    return this.witnessed(await this.log.verify(customerId));
  }

  @Get('customers/:customerId/access-events/retention')
  @AllowStaffOrOwnCustomer('customerId', ...HISTORY_ASSURANCE)
  @Audited({ action: 'access_event.retention', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: 'What the retention policy says for this customer and when it would apply' })
  @ApiOkResponse({ type: RetentionStatusView })
  async retention(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<RetentionStatusView> {
    return retentionView(await this.log.retentionStatus(customerId));
  }

  @Get('access-events/retention')
  @Allow(...HISTORY_ASSURANCE)
  @Audited({ action: 'access_event.retention', targetType: 'customer' })
  @ApiOperation({ summary: "Every customer's retention status" })
  @ApiOkResponse({ type: [RetentionStatusView] })
  async retentions(): Promise<RetentionStatusView[]> {
    return (await this.log.retentionStatuses()).map(retentionView);
  }

  @Get('people/:personId/access-events')
  @Allow(...HISTORY_READ)
  @Audited({ action: 'access_event.list', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: "A person's access history (staff; audited)" })
  @ApiOkResponse({ type: AccessEventPageView })
  async byPerson(@Param('personId', ParseUUIDPipe) personId: string, @Query() q: AccessEventQueryDto): Promise<AccessEventPageView> {
    return pageView(await this.log.findPage({ ...filterOf(q), personId }, { cursor: q.cursor, limit: q.limit ?? 50 }));
  }

  @Get('doors/:doorId/access-events')
  @Allow(...HISTORY_READ)
  @Audited({ action: 'access_event.list', targetType: 'door', targetParam: 'doorId' })
  @ApiOperation({ summary: "A door's access history across customers, unknown fingers included (staff; audited)" })
  @ApiOkResponse({ type: AccessEventPageView })
  async byDoor(@Param('doorId', ParseUUIDPipe) doorId: string, @Query() q: DoorAccessEventQueryDto): Promise<AccessEventPageView> {
    return pageView(await this.log.findPage({ ...filterOf(q), customerId: q.customerId, doorId }, { cursor: q.cursor, limit: q.limit ?? 50 }));
  }

  @Get('sites/:siteId/access-events/verify')
  @Allow(...HISTORY_ASSURANCE)
  @Audited({ action: 'access_event.verify', targetType: 'site', targetParam: 'siteId' })
  @ApiOperation({ summary: "Verify the chain of a site's attempts that belong to no customer (unknown fingers)" })
  @ApiOkResponse({ type: AccessChainVerdictView })
  async verifySite(@Param('siteId', ParseUUIDPipe) siteId: string): Promise<AccessChainVerdictView> {
    return this.witnessed(await this.log.verifySite(siteId));
  }
}
