import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, ParseUUIDPipe, Post, Sse, type MessageEvent } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { map, type Observable } from 'rxjs';
import { actorOf, Allow, AllowStaffOrOwnCustomer, Audited, CurrentPrincipal, type Principal } from '@acs/auth';
import { CredentialService } from '@acs/credentials';
import { ApiProblems, iso, NotFoundError } from '@acs/http';
import { PersonService } from '@acs/registry';
import {
  EmptyReaderView,
  EnrolmentView,
  ErasureView,
  FingerprintView,
  PersonEnrolmentView,
  ReaderLibraryDetailView,
  ReaderLibraryView,
  ReconciliationView,
  StartEnrolmentDto,
} from './enrolment.dto.js';
import { ReaderLibraryService, TemplateStore } from '@acs/reader-fleet';
import { EnrolmentRouter } from './enrolment-router.js';

/** The enrolment desk: admins and the security desk [README roles]. */
const DESK = ['admin', 'security'] as const;

@ApiTags('enrolment')
@ApiBearerAuth()
@ApiProblems()
@Controller('enrolments')
export class EnrolmentsController {
  /** Through the router: the desk reader may be wired to another server instance. */
  constructor(private readonly enrolments: EnrolmentRouter) {}

  @Post()
  @Allow(...DESK)
  @Audited({ action: 'enrollment.start', targetType: 'enrolment' })
  @ApiOperation({ summary: 'Start a guided enrolment of one finger at a desk reader; follow it with GET or the events stream' })
  @ApiCreatedResponse({ type: EnrolmentView })
  start(@Body() dto: StartEnrolmentDto, @CurrentPrincipal() principal: Principal): Promise<EnrolmentView> {
    return this.enrolments.start(dto, actorOf(principal));
  }

  @Get(':enrolmentId')
  @Allow(...DESK)
  @ApiOkResponse({ type: EnrolmentView })
  get(@Param('enrolmentId', ParseUUIDPipe) id: string): EnrolmentView {
    return this.enrolments.get(id);
  }

  @Sse(':enrolmentId/events')
  @Allow(...DESK)
  @ApiOperation({ summary: 'Server-sent events: the enrolment view on every step; the stream ends with the result' })
  @ApiOkResponse({
    description: 'One `enrolment` event per step, its data an EnrolmentView; the stream ends with the result',
    content: { 'text/event-stream': { schema: { $ref: getSchemaPath(EnrolmentView) } } },
  })
  events(@Param('enrolmentId', ParseUUIDPipe) id: string): Observable<MessageEvent> {
    return this.enrolments.events(id).pipe(map((view) => ({ type: 'enrolment', data: view })));
  }

  @Post(':enrolmentId/cancel')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'enrollment.cancel', targetType: 'enrolment', targetParam: 'enrolmentId' })
  @ApiOkResponse({ type: EnrolmentView })
  cancel(@Param('enrolmentId', ParseUUIDPipe) id: string): Promise<EnrolmentView> {
    return this.enrolments.cancel(id);
  }
}

@ApiTags('enrolment')
@ApiBearerAuth()
@ApiProblems()
@Controller('people/:personId/fingerprints')
export class PersonFingerprintsController {
  constructor(
    private readonly templates: TemplateStore,
    private readonly library: ReaderLibraryService,
    private readonly persons: PersonService,
  ) {}

  @Get()
  @Allow('admin', 'security', 'compliance')
  @ApiOperation({ summary: 'Enrolled fingers of a person: metadata only, never the template' })
  @ApiOkResponse({ type: [FingerprintView] })
  async list(@Param('personId', ParseUUIDPipe) personId: string): Promise<FingerprintView[]> {
    await this.mustExist(personId);
    const rows = await this.templates.fingerprintsOf(personId);
    return rows.map((r) => ({
      id: r.id,
      finger: r.finger,
      model: r.model,
      format: r.format,
      size: r.size,
      quality: r.quality,
      enrolledBy: r.enrolledBy,
      enrolledAt: iso(r.enrolledAt),
    }));
  }

  @Delete(':finger')
  @Allow(...DESK, 'compliance')
  @Audited({ action: 'fingerprint.delete', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: 'Delete one enrolled finger everywhere: the server copy now, every reader through the outbox' })
  @ApiOkResponse({ type: ErasureView })
  async remove(@Param('personId', ParseUUIDPipe) personId: string, @Param('finger', ParseIntPipe) finger: number): Promise<ErasureView> {
    await this.mustExist(personId);
    const templateId = await this.templates.idOf(personId, finger);
    if (templateId === null) throw new NotFoundError('Fingerprint');
    return this.library.eraseTemplatesOf({ templateId });
  }

  private async mustExist(personId: string): Promise<void> {
    if ((await this.persons.customerOf(personId)) === null) throw new NotFoundError('Person', personId);
  }
}

/**
 * A customer's view of its people's enrolment (issue 20: the customer administrator sees the
 * person it asked for enrolled at the desk): counts of fingers and active cards per person, no
 * template or card data, scoped to the customer's own people.
 */
@ApiTags('enrolment')
@ApiBearerAuth()
@ApiProblems()
@Controller('customers/:customerId/enrolment')
export class CustomerEnrolmentController {
  constructor(
    private readonly templates: TemplateStore,
    private readonly credentials: CredentialService,
  ) {}

  @Get()
  @AllowStaffOrOwnCustomer('customerId', 'admin', 'security', 'compliance', 'auditor')
  @ApiOperation({ summary: "The customer's enrolled people: fingers and active cards per person (people with neither are absent)" })
  @ApiOkResponse({ type: [PersonEnrolmentView] })
  async list(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<PersonEnrolmentView[]> {
    const [fingers, cards] = await Promise.all([this.templates.fingerCountsOfCustomer(customerId), this.credentials.activeCardCountsOfCustomer(customerId)]);
    return [...new Set([...fingers.keys(), ...cards.keys()])]
      .sort()
      .map((personId) => ({ personId, fingers: fingers.get(personId) ?? 0, cards: cards.get(personId) ?? 0 }));
  }
}

@ApiTags('enrolment')
@ApiBearerAuth()
@ApiProblems()
@Controller('reader-libraries')
export class ReaderLibrariesController {
  constructor(private readonly library: ReaderLibraryService) {}

  @Get()
  @Allow('admin', 'security', 'compliance', 'auditor')
  @ApiOperation({ summary: 'Per reader: expected vs present templates, pending operations, last reconciliation, state' })
  @ApiOkResponse({ type: [ReaderLibraryView] })
  list(): Promise<ReaderLibraryView[]> {
    return this.library.libraries();
  }

  @Get(':readerId')
  @Allow('admin', 'security', 'compliance', 'auditor')
  @ApiOkResponse({ type: ReaderLibraryDetailView })
  get(@Param('readerId', ParseUUIDPipe) readerId: string): Promise<ReaderLibraryDetailView> {
    return this.library.library(readerId);
  }

  @Post(':readerId/empty')
  @HttpCode(202)
  @Allow('admin')
  @Audited({ action: 'reader.empty', targetType: 'reader', targetParam: 'readerId' })
  @ApiOperation({ summary: 'Wipe the reader library (Empty) through the outbox; a door reader is refilled by the next plan' })
  @ApiAcceptedResponse({ type: EmptyReaderView })
  async empty(@Param('readerId', ParseUUIDPipe) readerId: string): Promise<EmptyReaderView> {
    await this.library.library(readerId);
    return { opId: await this.library.emptyReader(readerId) };
  }

  @Post(':readerId/reconcile')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'reader.reconcile', targetType: 'reader', targetParam: 'readerId' })
  @ApiOperation({ summary: 'Reconcile now: read the index table, push what is missing, delete ghosts' })
  @ApiOkResponse({ type: ReconciliationView })
  async reconcile(@Param('readerId', ParseUUIDPipe) readerId: string): Promise<ReconciliationView> {
    await this.library.library(readerId);
    const view = await this.library.reconcile(readerId);
    if (!view) throw new NotFoundError('Ready reader', readerId);
    return view;
  }
}
