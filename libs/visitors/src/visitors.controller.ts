import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, AllowStaffOrOwnCustomer, Audited, CurrentPrincipal, type Principal, type StaffRole } from '@acs/auth';
import { ApiProblems } from '@acs/http';
import {
  CheckInVisitorDto,
  RegisterVisitorDto,
  VisitorPolicyDto,
  VisitorPolicyView,
  VisitorQueryDto,
  VisitorsTodayCountView,
  VisitorView,
} from './visitor.dto.js';
import { VisitorService } from './visitor.service.js';

/** The security desk and the people who configure the site: check visitors in and out, set the escort policy. */
const DESK: StaffRole[] = ['admin', 'security'];
/** Staff who may read a customer's visitors (names included, so every read is audited). */
const READ: StaffRole[] = ['admin', 'security', 'compliance', 'auditor'];

@ApiTags('visitors')
@ApiBearerAuth()
@ApiProblems()
@Controller()
export class VisitorsController {
  constructor(private readonly visitors: VisitorService) {}

  @Post('customers/:customerId/visitors')
  @AllowStaffOrOwnCustomer('customerId', ...DESK)
  @Audited({ action: 'visitor.register', targetType: 'visitor' })
  @ApiOperation({ summary: 'Register an expected visitor: name, company, e-mail, host, access level and arrival window' })
  @ApiCreatedResponse({ type: VisitorView })
  register(
    @Param('customerId', ParseUUIDPipe) customerId: string,
    @Body() dto: RegisterVisitorDto,
    @CurrentPrincipal() p: Principal | undefined,
  ): Promise<VisitorView> {
    return this.visitors.register(customerId, dto, p?.staffId ?? null);
  }

  @Get('customers/:customerId/visitors')
  @AllowStaffOrOwnCustomer('customerId', ...READ)
  @Audited({ action: 'visitor.list', targetType: 'customer', targetParam: 'customerId' })
  @ApiOkResponse({ type: [VisitorView] })
  list(@Param('customerId', ParseUUIDPipe) customerId: string, @Query() q: VisitorQueryDto): Promise<VisitorView[]> {
    return this.visitors.list(customerId, q);
  }

  @Get('customers/:customerId/visitors/:visitorId')
  @AllowStaffOrOwnCustomer('customerId', ...READ)
  @Audited({ action: 'visitor.read', targetType: 'visitor', targetParam: 'visitorId' })
  @ApiOkResponse({ type: VisitorView })
  get(@Param('customerId', ParseUUIDPipe) customerId: string, @Param('visitorId', ParseUUIDPipe) visitorId: string): Promise<VisitorView> {
    return this.visitors.get(customerId, visitorId);
  }

  @Post('customers/:customerId/visitors/:visitorId/cancel')
  @HttpCode(200)
  @AllowStaffOrOwnCustomer('customerId', ...DESK)
  @Audited({ action: 'visitor.cancel', targetType: 'visitor', targetParam: 'visitorId' })
  @ApiOperation({ summary: 'Call off a visit that is still expected (visitor.not_expected otherwise): the desk can no longer check the visitor in' })
  @ApiOkResponse({ type: VisitorView })
  cancel(@Param('customerId', ParseUUIDPipe) customerId: string, @Param('visitorId', ParseUUIDPipe) visitorId: string): Promise<VisitorView> {
    return this.visitors.cancel(customerId, visitorId);
  }

  @Get('customers/:customerId/visitor-policy')
  @AllowStaffOrOwnCustomer('customerId', ...READ)
  @ApiOkResponse({ type: VisitorPolicyView })
  policy(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<VisitorPolicyView> {
    return this.visitors.policy(customerId);
  }

  @Put('customers/:customerId/visitor-policy')
  @Allow(...DESK)
  @Audited({ action: 'visitor.policy.set', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: "Whether the customer's visitors must be escorted by their host (default true); applies from the next check-in" })
  @ApiOkResponse({ type: VisitorPolicyView })
  setPolicy(
    @Param('customerId', ParseUUIDPipe) customerId: string,
    @Body() dto: VisitorPolicyDto,
    @CurrentPrincipal() p: Principal | undefined,
  ): Promise<VisitorPolicyView> {
    return this.visitors.setPolicy(customerId, dto.visitorEscortRequired, p?.staffId ?? null);
  }

  @Get('visitors/today')
  @Allow(...DESK)
  @Audited({ action: 'visitor.list', targetType: 'visitor' })
  @ApiOperation({ summary: "Every customer's visitors expected today (each site's local date) and those still checked in" })
  @ApiOkResponse({ type: [VisitorView] })
  today(): Promise<VisitorView[]> {
    return this.visitors.today();
  }

  @Get('visitors/today/count')
  @Allow(...DESK)
  @ApiOkResponse({ type: VisitorsTodayCountView })
  todayCount(): Promise<VisitorsTodayCountView> {
    return this.visitors.todayCount();
  }

  @Post('visitors/:visitorId/check-in')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'visitor.check_in', targetType: 'visitor', targetParam: 'visitorId' })
  @ApiOperation({
    summary: 'The ID document was checked at the desk (idChecked: true): temporary access until the window ends, escorted unless the policy says otherwise',
  })
  @ApiOkResponse({ type: VisitorView })
  checkIn(
    @Param('visitorId', ParseUUIDPipe) visitorId: string,
    @Body() dto: CheckInVisitorDto,
    @CurrentPrincipal() p: Principal | undefined,
  ): Promise<VisitorView> {
    return this.visitors.checkIn(visitorId, p?.staffId ?? null, dto.idChecked);
  }

  @Post('visitors/:visitorId/check-out')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'visitor.check_out', targetType: 'visitor', targetParam: 'visitorId' })
  @ApiOperation({ summary: 'The visitor leaves: their access ends now' })
  @ApiOkResponse({ type: VisitorView })
  checkOut(@Param('visitorId', ParseUUIDPipe) visitorId: string, @CurrentPrincipal() p: Principal | undefined): Promise<VisitorView> {
    return this.visitors.checkOut(visitorId, p?.staffId ?? null);
  }
}
