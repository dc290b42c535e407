import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, AllowStaffOrOwnCustomer, Audited, CurrentPrincipal, type Principal, type StaffRole } from '@acs/auth';
import { ApiProblems } from '@acs/http';
import {
  AccessRequestPageView,
  AccessRequestQueryDto,
  AccessRequestView,
  DecideAccessRequestDto,
  FileAccessRequestDto,
  PendingCountView,
  PreApprovedLevelsDto,
  PreApprovedLevelsView,
  RefuseAccessRequestDto,
  RequestableLevelView,
} from './access-request.dto.js';
import { AccessRequestService } from './access-request.service.js';

/** Who decides requests and configures pre-approval: the people who configure the site. */
const DECIDE: StaffRole[] = ['admin', 'security'];
/** Staff who may look at requests (they name people by id only, plus a new person's name). */
const READ: StaffRole[] = ['admin', 'security', 'compliance', 'auditor'];

@ApiTags('access-requests')
@ApiBearerAuth()
@ApiProblems()
@Controller()
export class AccessRequestsController {
  constructor(private readonly requests: AccessRequestService) {}

  @Post('customers/:customerId/access-requests')
  @AllowStaffOrOwnCustomer('customerId', ...DECIDE)
  @Audited({ action: 'access_request.file', targetType: 'access_request' })
  @ApiOperation({ summary: 'File a request: add a person, give a person access for a period, or end access (applied at once)' })
  @ApiCreatedResponse({ type: AccessRequestView })
  file(
    @Param('customerId', ParseUUIDPipe) customerId: string,
    @Body() dto: FileAccessRequestDto,
    @CurrentPrincipal() p: Principal | undefined,
  ): Promise<AccessRequestView> {
    return this.requests.file(customerId, dto, p?.staffId ?? null);
  }

  @Get('customers/:customerId/access-requests')
  @AllowStaffOrOwnCustomer('customerId', ...READ)
  @Audited({ action: 'access_request.list', targetType: 'customer', targetParam: 'customerId' })
  @ApiOkResponse({ type: AccessRequestPageView })
  listOfCustomer(@Param('customerId', ParseUUIDPipe) customerId: string, @Query() q: AccessRequestQueryDto): Promise<AccessRequestPageView> {
    return this.requests.list(customerId, q);
  }

  @Get('customers/:customerId/access-requests/:requestId')
  @AllowStaffOrOwnCustomer('customerId', ...READ)
  @Audited({ action: 'access_request.read', targetType: 'access_request', targetParam: 'requestId' })
  @ApiOkResponse({ type: AccessRequestView })
  getOfCustomer(@Param('customerId', ParseUUIDPipe) customerId: string, @Param('requestId', ParseUUIDPipe) requestId: string): Promise<AccessRequestView> {
    return this.requests.get(customerId, requestId);
  }

  @Get('customers/:customerId/requestable-access-levels')
  @AllowStaffOrOwnCustomer('customerId', ...READ)
  @ApiOperation({ summary: 'Access levels the customer may request: those its grants name and those pre-approved' })
  @ApiOkResponse({ type: [RequestableLevelView] })
  requestable(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<RequestableLevelView[]> {
    return this.requests.requestableLevels(customerId);
  }

  @Get('customers/:customerId/pre-approved-access-levels')
  @AllowStaffOrOwnCustomer('customerId', ...READ)
  @ApiOkResponse({ type: PreApprovedLevelsView })
  preApproved(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<PreApprovedLevelsView> {
    return this.requests.preApproved(customerId);
  }

  @Put('customers/:customerId/pre-approved-access-levels')
  @Allow(...DECIDE)
  @Audited({ action: 'access_request.pre_approval.set', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: 'Replace the access levels whose grant requests apply without approval for this customer' })
  @ApiOkResponse({ type: PreApprovedLevelsView })
  setPreApproved(@Param('customerId', ParseUUIDPipe) customerId: string, @Body() dto: PreApprovedLevelsDto): Promise<PreApprovedLevelsView> {
    return this.requests.setPreApproved(customerId, dto.accessLevelIds);
  }

  @Get('access-requests')
  @Allow(...READ)
  @Audited({ action: 'access_request.list', targetType: 'access_request' })
  @ApiOperation({ summary: "Every customer's requests, newest first (the staff queue: status=pending)" })
  @ApiOkResponse({ type: AccessRequestPageView })
  list(@Query() q: AccessRequestQueryDto): Promise<AccessRequestPageView> {
    return this.requests.list(undefined, q);
  }

  @Get('access-requests/pending-count')
  @Allow(...READ)
  @ApiOkResponse({ type: PendingCountView })
  async pendingCount(): Promise<PendingCountView> {
    return { pending: await this.requests.pendingCount() };
  }

  @Post('access-requests/:requestId/approve')
  @HttpCode(200)
  @Allow(...DECIDE)
  @Audited({ action: 'access_request.approve', targetType: 'access_request', targetParam: 'requestId' })
  @ApiOperation({ summary: 'Approve and apply a pending request through the registry (person, grant with its validity)' })
  @ApiOkResponse({ type: AccessRequestView })
  approve(
    @Param('requestId', ParseUUIDPipe) id: string,
    @Body() dto: DecideAccessRequestDto,
    @CurrentPrincipal() p: Principal | undefined,
  ): Promise<AccessRequestView> {
    return this.requests.approve(id, p!.staffId!, dto.reason ?? null);
  }

  @Post('access-requests/:requestId/refuse')
  @HttpCode(200)
  @Allow(...DECIDE)
  @Audited({ action: 'access_request.refuse', targetType: 'access_request', targetParam: 'requestId' })
  @ApiOkResponse({ type: AccessRequestView })
  refuse(
    @Param('requestId', ParseUUIDPipe) id: string,
    @Body() dto: RefuseAccessRequestDto,
    @CurrentPrincipal() p: Principal | undefined,
  ): Promise<AccessRequestView> {
    return this.requests.refuse(id, p!.staffId!, dto.reason);
  }
}
