import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { actorOf, AllowStaffOrOwnCustomer, Audited, CurrentPrincipal, type Principal } from '@acs/auth';
import { ApiProblems } from '@acs/http';
import { DsrCaseView } from './compliance.responses.js';
import { FileCustomerCaseDto } from './dto.js';
import { DsrService } from './dsr.service.js';

/**
 * Data-subject requests through the customer portal: a customer's administrator (or token) files
 * one on behalf of one of its people and follows its cases; compliance staff answer them on the
 * compliance page like any other case.
 */
@ApiTags('compliance')
@ApiBearerAuth()
@ApiProblems()
@Controller('customers/:customerId/data-subject-requests')
export class CustomerRequestsController {
  constructor(private readonly dsr: DsrService) {}

  @Post()
  @AllowStaffOrOwnCustomer('customerId')
  @Audited({ action: 'compliance.request.file', targetType: 'dsr_case' })
  @ApiOperation({ summary: 'File a data-subject request on behalf of one of your people; the case is due one month after receipt (GDPR Art. 12(3))' })
  @ApiCreatedResponse({ type: DsrCaseView })
  file(
    @Param('customerId', ParseUUIDPipe) customerId: string,
    @Body() dto: FileCustomerCaseDto,
    @CurrentPrincipal() p: Principal | undefined,
  ): Promise<DsrCaseView> {
    return this.dsr.fileForCustomer(customerId, dto, actorOf(p));
  }

  @Get()
  @AllowStaffOrOwnCustomer('customerId', 'compliance', 'admin', 'auditor')
  @ApiOperation({ summary: "The customer's data-subject request cases with their deadlines" })
  @ApiOkResponse({ type: [DsrCaseView] })
  list(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<DsrCaseView[]> {
    return this.dsr.listForCustomer(customerId);
  }
}
