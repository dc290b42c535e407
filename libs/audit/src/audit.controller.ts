import { Controller, Get, Inject, Optional, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow } from '@acs/auth';
import { CHAIN_WITNESS, type ChainWitness } from '@acs/database';
import { ApiProblems, decodeCursor, encodeCursor, iso } from '@acs/http';
import type { AuditEntryEntity } from './audit-entry.entity.js';
import { AuditService } from './audit.service.js';
import { AuditEntryView, AuditPageView, AuditQueryDto, ChainVerdictView } from './dto/audit.dto.js';

function view(e: AuditEntryEntity): AuditEntryView {
  return {
    seq: e.seq,
    id: e.id,
    at: iso(e.at),
    actorType: e.actorType,
    actorId: e.actorId,
    role: e.role,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    outcome: e.outcome,
    requestId: e.requestId,
    details: e.details ? (JSON.parse(e.details) as Record<string, unknown>) : null,
    hash: e.hash,
  };
}

@ApiTags('audit')
@ApiBearerAuth()
@ApiProblems()
@Controller('audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    @Optional() @Inject(CHAIN_WITNESS) private readonly witness?: ChainWitness,
  ) {}

  @Get()
  @Allow('auditor', 'admin', 'compliance')
  @ApiOperation({ summary: 'The audit trail, newest first, with keyset paging' })
  @ApiOkResponse({ type: AuditPageView })
  async list(@Query() q: AuditQueryDto): Promise<AuditPageView> {
    const limit = q.limit ?? 50;
    const cursor = q.cursor ? decodeCursor<{ seq: number }>(q.cursor, { seq: 'number' }) : undefined;
    const rows = await this.audit.find({
      actorId: q.actorId,
      action: q.action,
      targetType: q.targetType,
      targetId: q.targetId,
      outcome: q.outcome,
      from: q.from ? Date.parse(q.from) : undefined,
      to: q.to ? Date.parse(q.to) : undefined,
      beforeSeq: cursor?.seq,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit).map(view);
    return rows.length > limit ? { items, nextCursor: encodeCursor({ seq: items[items.length - 1].seq }) } : { items };
  }

  @Get('verify')
  @Allow('auditor', 'admin')
  @ApiOperation({ summary: 'Verify the hash chain; names the first broken link, and (checkpoint) a missing tail against the newest signed checkpoint' })
  @ApiOkResponse({ type: ChainVerdictView })
  async verify(): Promise<ChainVerdictView> {
    const verdict = await this.audit.verify();
    if (!this.witness) return verdict;
    const checkpoint = await this.witness.witness('audit');
    return { ...verdict, ok: verdict.ok && checkpoint.ok, checkpoint: { ...checkpoint } };
  }
}
