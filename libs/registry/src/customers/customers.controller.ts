import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, AllowStaffOrOwnCustomer, Audited, CreateCustomerAdminDto, CreatedCustomerAdminView, StaffService, staffView, TokenService } from '@acs/auth';
import { ApiProblems, ConflictError, iso } from '@acs/http';
import { VIEW } from '../common/roles.js';
import { CreateCustomerDto, CustomerPageView, CustomerQueryDto, CustomerView, UpdateCustomerDto } from './customer.dto.js';
import { CustomerService } from './customer.service.js';
import { IssueCustomerTokenDto, IssuedCustomerTokenView } from './customer-token.dto.js';

@ApiTags('customers')
@ApiBearerAuth()
@ApiProblems()
@Controller('customers')
export class CustomersController {
  constructor(
    private readonly customers: CustomerService,
    private readonly tokens: TokenService,
    private readonly accounts: StaffService,
  ) {}

  @Post()
  @Allow('admin')
  @Audited({ action: 'customer.create', targetType: 'customer' })
  @ApiCreatedResponse({ type: CustomerView })
  create(@Body() dto: CreateCustomerDto): Promise<CustomerView> {
    return this.customers.create(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOperation({ summary: 'Customers, without contact details' })
  @ApiOkResponse({ type: CustomerPageView })
  list(@Query() q: CustomerQueryDto): Promise<CustomerPageView> {
    return this.customers.list(q);
  }

  @Get(':customerId')
  @AllowStaffOrOwnCustomer('customerId', ...VIEW)
  @Audited({ action: 'customer.read', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: 'One customer with its contact person (a read of personal data, audited)' })
  @ApiOkResponse({ type: CustomerView })
  get(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<CustomerView> {
    return this.customers.get(customerId);
  }

  @Patch(':customerId')
  @Allow('admin', 'compliance')
  @Audited({ action: 'customer.update', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: 'Give notice (serviceEnd), rename, or correct the contact person' })
  @ApiOkResponse({ type: CustomerView })
  update(@Param('customerId', ParseUUIDPipe) customerId: string, @Body() dto: UpdateCustomerDto): Promise<CustomerView> {
    return this.customers.update(customerId, dto);
  }

  @Delete(':customerId')
  @HttpCode(204)
  @Allow('admin')
  @Audited({ action: 'customer.delete', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: 'Delete a customer that has no people and no grants (ended customers are purged instead)' })
  async delete(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<void> {
    await this.customers.delete(customerId);
  }

  @Post(':customerId/tokens')
  @Allow('admin')
  @Audited({ action: 'token.issue', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: 'Issue a customer self-service token (shown once), scoped to this customer' })
  @ApiCreatedResponse({ type: IssuedCustomerTokenView })
  async issueToken(@Param('customerId', ParseUUIDPipe) customerId: string, @Body() dto: IssueCustomerTokenDto): Promise<IssuedCustomerTokenView> {
    await this.customers.mustGet(customerId);
    const t = await this.tokens.issueForCustomer(customerId, dto);
    return { id: t.id, token: t.token, expiresAt: iso(t.expiresAt), customerId };
  }

  @Post(':customerId/admins')
  @Allow('admin')
  @Audited({ action: 'customer_admin.create', targetType: 'staff' })
  @ApiOperation({
    summary: 'Create a customer administrator account, scoped to this customer; the response holds its one-time password-reset token (shown once)',
  })
  @ApiCreatedResponse({ type: CreatedCustomerAdminView })
  async createAdmin(@Param('customerId', ParseUUIDPipe) customerId: string, @Body() dto: CreateCustomerAdminDto): Promise<CreatedCustomerAdminView> {
    // A purged customer's people are gone and its contract has ended: nobody administers it any more.
    if ((await this.customers.mustGet(customerId)).purgedAt !== null) throw new ConflictError('customer.purged', 'a purged customer cannot be changed');
    const { staff, reset } = await this.accounts.createCustomerAdmin(customerId, dto.username);
    return { id: staff.id, account: staffView(staff), passwordReset: { resetToken: reset.token, expiresAt: iso(reset.expiresAt) } };
  }
}
