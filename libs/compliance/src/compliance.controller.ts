import { Body, Controller, Get, Header, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { actorOf, Allow, Audited, CurrentPrincipal, type Principal } from '@acs/auth';
import { AppConfig } from '@acs/config';
import {
  CaseActionDto,
  CaseQueryDto,
  CloseCaseDto,
  ExportQueryDto,
  ExtendCaseDto,
  JobQueryDto,
  OpenCaseDto,
  PlaceHoldDto,
  RectifyDto,
  ReleaseHoldDto,
} from './dto.js';
import { CertificateEvidence } from './certificates/certificate-evidence.js';
import { CheckpointService } from './checkpoints/checkpoint.service.js';
import { UndonePurgeMonitor } from './certificates/undone-purge.monitor.js';
import { DsrService } from './dsr.service.js';
import { ApiProblems, NotFoundError } from '@acs/http';
import {
  CertificateSummaryView,
  CheckpointsView,
  DsrCaseView,
  DuePurgesView,
  ErasureJobView,
  FREE_FORM_OBJECT,
  LegalHoldView,
  PersonStatusView,
  PurgePreviewView,
  ReappliedJobsView,
  RectifiedView,
  SigningKeyView,
  TakenCheckpointView,
  UndonePurgesView,
} from './compliance.responses.js';
import { ErasureService } from './erasure.service.js';

/** Purges, legal holds and data-subject requests are compliance work [README roles]. */
const COMPLIANCE = ['compliance', 'admin'] as const;
/** Certificates are evidence: auditors read them too. */
const EVIDENCE = ['compliance', 'admin', 'auditor'] as const;

@ApiTags('compliance')
@ApiBearerAuth()
@ApiProblems()
@Controller('compliance')
export class ComplianceController {
  constructor(
    private readonly erasure: ErasureService,
    private readonly dsr: DsrService,
    private readonly config: AppConfig,
    private readonly evidence: CertificateEvidence,
    private readonly checkpointService: CheckpointService,
    private readonly undone: UndonePurgeMonitor,
  ) {}

  // ------------------------------------------------------------------ customer purge

  @Get('customers/:customerId/purge-preview')
  @Allow(...COMPLIANCE)
  @ApiOperation({ summary: 'Dry run of the end-of-service purge: counts only, no names' })
  @ApiOkResponse({ type: PurgePreviewView })
  preview(@Param('customerId', ParseUUIDPipe) customerId: string) {
    return this.erasure.preview(customerId);
  }

  @Post('customers/:customerId/purge')
  @HttpCode(202)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.purge.start', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: 'Purge a customer whose service has ended (or return the purge already running)' })
  @ApiAcceptedResponse({ type: ErasureJobView })
  purge(@Param('customerId', ParseUUIDPipe) customerId: string, @CurrentPrincipal() principal: Principal) {
    return this.erasure.startCustomerPurge(customerId, 'manual', actorOf(principal));
  }

  @Get('purges/due')
  @Allow(...COMPLIANCE)
  @ApiOperation({ summary: 'Customers whose service ended (plus grace) and that no purge has taken yet, and how often the schedule looks for them' })
  @ApiOkResponse({ type: DuePurgesView })
  async due() {
    return {
      customerIds: await this.erasure.dueCustomers(),
      // The console says when these will be purged without a click; it must not guess the setting.
      schedule: { enabled: this.config.PURGE_SCHEDULE_ENABLED, checkIntervalS: this.config.PURGE_CHECK_INTERVAL_S, graceDays: this.config.PURGE_GRACE_DAYS },
    };
  }

  @Get('erasures')
  @Allow(...EVIDENCE)
  @ApiOperation({ summary: 'Erasure jobs (customer purges, person erasures, biometrics withdrawals), with outstanding readers' })
  @ApiOkResponse({ type: [ErasureJobView] })
  jobs(@Query() q: JobQueryDto) {
    return this.erasure.jobs({ ...(q.customerId ? { customerId: q.customerId } : {}), ...(q.personId ? { personId: q.personId } : {}) });
  }

  @Get('erasures/:jobId')
  @Allow(...EVIDENCE)
  @ApiOkResponse({ type: ErasureJobView })
  job(@Param('jobId', ParseUUIDPipe) id: string) {
    return this.erasure.job(id);
  }

  @Get('certificates')
  @Allow(...EVIDENCE)
  @ApiOperation({ summary: 'Erasure certificates (no personal data)' })
  @ApiOkResponse({ type: [CertificateSummaryView] })
  certificates(@Query() q: JobQueryDto) {
    return this.erasure.certificates(q.customerId ? { customerId: q.customerId } : {});
  }

  @Get('certificates/:certificateId')
  @Allow(...EVIDENCE)
  @Audited({ action: 'compliance.certificate.read', targetType: 'erasure_certificate', targetParam: 'certificateId' })
  @Header('Content-Type', 'application/json')
  @ApiOperation({
    summary:
      'Download a certificate as JSON; X-Certificate-Valid: its Ed25519 signature and its own hash check out (X-Certificate-Signature: valid, invalid or unsigned)',
  })
  @ApiOkResponse({ description: 'The certificate body as issued (its own hash inside)', schema: FREE_FORM_OBJECT })
  async certificate(@Param('certificateId', ParseUUIDPipe) id: string, @Res({ passthrough: true }) res: Response) {
    const c = await this.erasure.certificate(id);
    res.setHeader('Content-Disposition', `attachment; filename="erasure-certificate-${id}.json"`);
    res.setHeader('X-Certificate-Valid', String(c.valid));
    res.setHeader('X-Certificate-Signature', c.signature);
    return c.body;
  }

  @Get('certificates/:certificateId/signed')
  @Allow(...EVIDENCE)
  @Audited({ action: 'compliance.certificate.read', targetType: 'erasure_certificate', targetParam: 'certificateId' })
  @ApiOperation({
    summary:
      'The signed certificate (compact JWS, Ed25519) as issued: check it with `acsctl certificate:verify` or openssl; 404 for certificates issued before signing',
  })
  @ApiOkResponse({ description: 'Compact JWS', content: { 'application/jose': { schema: { type: 'string' } } } })
  async signedCertificate(@Param('certificateId', ParseUUIDPipe) id: string, @Res({ passthrough: true }) res: Response) {
    const c = await this.erasure.certificate(id);
    if (!c.jws) throw new NotFoundError('SignedErasureCertificate', id);
    res.setHeader('Content-Type', 'application/jose');
    res.setHeader('Content-Disposition', `attachment; filename="erasure-certificate-${id}.jws"`);
    return `${c.jws}\n`;
  }

  @Get('undone-purges')
  @Allow(...EVIDENCE)
  @ApiOperation({
    summary: 'Signed certificates in CERTIFICATE_DIR whose erased data is back in the database (a restored backup), by id; invalid certificate files',
  })
  @ApiOkResponse({ type: UndonePurgesView })
  async undonePurges() {
    return { ...(await this.undone.check()), startup: this.undone.status().startup };
  }

  @Post('purges/reapply')
  @HttpCode(202)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.purge.reapply', targetType: 'erasure' })
  @ApiOperation({
    summary: 'Erase again exactly the subjects whose signed certificate exists but whose data is back; new certificates name the originals; idempotent',
  })
  @ApiAcceptedResponse({ type: ReappliedJobsView })
  reapply(@CurrentPrincipal() principal: Principal) {
    return this.undone.reapply(actorOf(principal));
  }

  @Get('checkpoints')
  @Allow(...EVIDENCE)
  @Audited({ action: 'compliance.checkpoint.verify', targetType: 'checkpoint' })
  @ApiOperation({
    summary:
      'Checkpoint status: the folder, the last one written, the start-up comparison (alarm), and the database compared with the newest signed checkpoint now (missing tails by chain and sequence number)',
  })
  @ApiOkResponse({ type: CheckpointsView })
  async checkpoints() {
    return { ...this.checkpointService.status(), now: await this.checkpointService.verify() };
  }

  @Post('checkpoints')
  @HttpCode(201)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.checkpoint.take', targetType: 'checkpoint' })
  @ApiOperation({ summary: 'Sign and append a checkpoint of the chain heads now (null while checkpoints are paused by a start-up alarm)' })
  @ApiCreatedResponse({ type: TakenCheckpointView })
  async takeCheckpoint() {
    return { checkpoint: await this.checkpointService.take('manual') };
  }

  @Get('signing-keys')
  @Allow(...EVIDENCE)
  @ApiOperation({
    summary: 'Public Ed25519 keys that verify certificates and checkpoints (PEM, SHA-256 fingerprint of the DER key); old keys stay listed after a rotation',
  })
  @ApiOkResponse({ type: [SigningKeyView] })
  signingKeys() {
    return this.evidence.publicKeys();
  }

  // ------------------------------------------------------------------ legal holds

  @Get('legal-holds')
  @Allow(...EVIDENCE)
  @ApiOkResponse({ type: [LegalHoldView] })
  holds(@Query() q: JobQueryDto) {
    return this.erasure.holds(q.customerId);
  }

  @Post('legal-holds')
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.legal_hold.place', targetType: 'legal_hold' })
  @ApiCreatedResponse({ type: LegalHoldView })
  placeHold(@Body() dto: PlaceHoldDto, @CurrentPrincipal() principal: Principal) {
    return this.erasure.placeHold(dto.customerId, dto.personId ?? null, dto.reason, dto.reference, actorOf(principal));
  }

  @Post('legal-holds/:holdId/release')
  @HttpCode(200)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.legal_hold.release', targetType: 'legal_hold', targetParam: 'holdId' })
  @ApiOkResponse({ type: LegalHoldView })
  releaseHold(@Param('holdId', ParseUUIDPipe) id: string, @Body() dto: ReleaseHoldDto, @CurrentPrincipal() principal: Principal) {
    return this.erasure.releaseHold(id, dto.reason, actorOf(principal));
  }

  // ------------------------------------------------------------------ data-subject requests

  @Get('requests')
  @Allow(...COMPLIANCE)
  @ApiOperation({ summary: 'Data-subject request cases; ?overdue=true for open cases past their due date' })
  @ApiOkResponse({ type: [DsrCaseView] })
  cases(@Query() q: CaseQueryDto) {
    return this.dsr.list(q);
  }

  @Post('requests')
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.request.open', targetType: 'dsr_case' })
  @ApiOperation({ summary: 'Open a case: kind, received date, how identity was verified (the ID copy is never stored)' })
  @ApiCreatedResponse({ type: DsrCaseView })
  openCase(@Body() dto: OpenCaseDto, @CurrentPrincipal() principal: Principal) {
    return this.dsr.open(dto, actorOf(principal));
  }

  @Get('requests/:caseId')
  @Allow(...COMPLIANCE)
  @ApiOkResponse({ type: DsrCaseView })
  getCase(@Param('caseId', ParseUUIDPipe) id: string) {
    return this.dsr.get(id);
  }

  @Post('requests/:caseId/extend')
  @HttpCode(200)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.request.extend', targetType: 'dsr_case', targetParam: 'caseId' })
  @ApiOkResponse({ type: DsrCaseView })
  extend(@Param('caseId', ParseUUIDPipe) id: string, @Body() dto: ExtendCaseDto) {
    return this.dsr.extend(id, dto.reason);
  }

  @Post('requests/:caseId/close')
  @HttpCode(200)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.request.close', targetType: 'dsr_case', targetParam: 'caseId' })
  @ApiOkResponse({ type: DsrCaseView })
  close(@Param('caseId', ParseUUIDPipe) id: string, @Body() dto: CloseCaseDto) {
    return this.dsr.close(id, dto.status, dto.outcome);
  }

  @Get('people/:personId/export')
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.person.export', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: 'Access and portability: everything held about the person (JSON or CSV); templates are not exported' })
  @ApiOkResponse({
    description: 'Everything held about the person; CSV with ?format=csv',
    content: { 'application/json': { schema: FREE_FORM_OBJECT }, 'text/csv': { schema: { type: 'string' } } },
  })
  async exportPerson(
    @Param('personId', ParseUUIDPipe) personId: string,
    @Query() q: ExportQueryDto,
    @Res({ passthrough: true }) res: Response,
    @CurrentPrincipal() principal: Principal,
  ) {
    const doc = await this.dsr.exportPerson(personId, { caseId: q.caseId, format: q.format, actor: actorOf(principal) });
    if (q.format === 'csv') {
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="person-${personId}.csv"`);
      return this.dsr.exportCsv(doc);
    }
    res.setHeader('Content-Disposition', `attachment; filename="person-${personId}.json"`);
    return doc;
  }

  @Post('people/:personId/rectify')
  @HttpCode(200)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.person.rectify', targetType: 'person', targetParam: 'personId' })
  @ApiOkResponse({ type: RectifiedView })
  rectify(@Param('personId', ParseUUIDPipe) personId: string, @Body() dto: RectifyDto) {
    return this.dsr.rectify(personId, dto);
  }

  @Post('people/:personId/restrict')
  @HttpCode(200)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.person.restrict', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: 'Restriction: data kept, templates taken off every reader, access denied (person_restricted)' })
  @ApiOkResponse({ type: PersonStatusView })
  restrict(@Param('personId', ParseUUIDPipe) personId: string, @Body() _dto: CaseActionDto) {
    return this.dsr.restrict(personId);
  }

  @Post('people/:personId/lift-restriction')
  @HttpCode(200)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.person.lift_restriction', targetType: 'person', targetParam: 'personId' })
  @ApiOkResponse({ type: PersonStatusView })
  lift(@Param('personId', ParseUUIDPipe) personId: string, @Body() _dto: CaseActionDto) {
    return this.dsr.lift(personId);
  }

  @Post('people/:personId/erase')
  @HttpCode(202)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.person.erase', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: 'Erase one person: the purge pipeline for one person, with a certificate' })
  @ApiAcceptedResponse({ type: ErasureJobView })
  erase(@Param('personId', ParseUUIDPipe) personId: string, @Body() dto: CaseActionDto, @CurrentPrincipal() principal: Principal) {
    return this.dsr.erase(personId, actorOf(principal), dto.caseId ?? null);
  }

  @Post('people/:personId/withdraw-biometrics')
  @HttpCode(202)
  @Allow(...COMPLIANCE)
  @Audited({ action: 'compliance.person.withdraw_biometrics', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: 'Consent withdrawn / objection to biometrics: templates erased everywhere, the person keeps the record' })
  @ApiAcceptedResponse({ type: ErasureJobView })
  withdraw(@Param('personId', ParseUUIDPipe) personId: string, @Body() dto: CaseActionDto, @CurrentPrincipal() principal: Principal) {
    return this.dsr.withdrawBiometrics(personId, actorOf(principal), dto.caseId ?? null);
  }
}
