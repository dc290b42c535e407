import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, AllowStaffOrOwnCustomer, Audited } from '@acs/auth';
import { PEOPLE_READ, PEOPLE_WRITE } from '../common/roles.js';
import { CreatePersonDto, PersonPageView, PersonQueryDto, PersonView, UpdatePersonDto } from './person.dto.js';
import { PersonService } from './person.service.js';
import { ApiProblems } from '@acs/http';

@ApiTags('people')
@ApiBearerAuth()
@ApiProblems()
@Controller()
export class PeopleController {
  constructor(private readonly people: PersonService) {}

  @Post('customers/:customerId/people')
  @Allow('admin', 'security')
  @Audited({ action: 'person.create', targetType: 'person' })
  @ApiCreatedResponse({ type: PersonView })
  create(@Param('customerId', ParseUUIDPipe) customerId: string, @Body() dto: CreatePersonDto): Promise<PersonView> {
    return this.people.create(customerId, dto);
  }

  @Get('customers/:customerId/people')
  @AllowStaffOrOwnCustomer('customerId', ...PEOPLE_READ)
  @Audited({ action: 'person.list', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: "A customer's people, optionally searched by name (a read of personal data, audited)" })
  @ApiOkResponse({ type: PersonPageView })
  list(@Param('customerId', ParseUUIDPipe) customerId: string, @Query() q: PersonQueryDto): Promise<PersonPageView> {
    return this.people.list(customerId, q);
  }

  @Get('people')
  @Allow('admin', 'security', 'compliance')
  @Audited({ action: 'person.search', targetType: 'person' })
  @ApiOperation({ summary: 'Search people of every customer by name (staff; audited)' })
  @ApiOkResponse({ type: PersonPageView })
  search(@Query() q: PersonQueryDto): Promise<PersonPageView> {
    return this.people.list(undefined, q);
  }

  @Get('customers/:customerId/people/:personId')
  @AllowStaffOrOwnCustomer('customerId', ...PEOPLE_READ)
  @Audited({ action: 'person.read', targetType: 'person', targetParam: 'personId' })
  @ApiOkResponse({ type: PersonView })
  get(@Param('customerId', ParseUUIDPipe) customerId: string, @Param('personId', ParseUUIDPipe) personId: string): Promise<PersonView> {
    return this.people.get(customerId, personId);
  }

  @Patch('customers/:customerId/people/:personId')
  @Allow(...PEOPLE_WRITE)
  @Audited({ action: 'person.update', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: 'Correct name or contact details, suspend, restrict, or change validity' })
  @ApiOkResponse({ type: PersonView })
  update(
    @Param('customerId', ParseUUIDPipe) customerId: string,
    @Param('personId', ParseUUIDPipe) personId: string,
    @Body() dto: UpdatePersonDto,
  ): Promise<PersonView> {
    return this.people.update(customerId, personId, dto);
  }

  @Delete('customers/:customerId/people/:personId')
  @HttpCode(204)
  @Allow('admin')
  @Audited({ action: 'person.delete', targetType: 'person', targetParam: 'personId' })
  async delete(@Param('customerId', ParseUUIDPipe) customerId: string, @Param('personId', ParseUUIDPipe) personId: string): Promise<void> {
    await this.people.delete(customerId, personId);
  }
}
