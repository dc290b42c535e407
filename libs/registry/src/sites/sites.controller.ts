import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Allow, Audited } from '@acs/auth';
import { PageQueryDto } from '../common/paging.js';
import { CONFIGURE, VIEW } from '../common/roles.js';
import { CreateSiteDto, CreateZoneDto, SitePageView, SiteView, UpdateSiteDto, UpdateZoneDto, ZonePageView, ZoneQueryDto, ZoneView } from './site.dto.js';
import { SiteService } from './site.service.js';
import { ApiProblems } from '@acs/http';

@ApiTags('sites')
@ApiBearerAuth()
@ApiProblems()
@Controller('sites')
export class SitesController {
  constructor(private readonly sites: SiteService) {}

  @Post()
  @Allow('admin')
  @Audited({ action: 'site.create', targetType: 'site' })
  @ApiCreatedResponse({ type: SiteView })
  create(@Body() dto: CreateSiteDto): Promise<SiteView> {
    return this.sites.createSite(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOkResponse({ type: SitePageView })
  list(@Query() q: PageQueryDto): Promise<SitePageView> {
    return this.sites.listSites(q);
  }

  @Get(':siteId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: SiteView })
  get(@Param('siteId', ParseUUIDPipe) id: string): Promise<SiteView> {
    return this.sites.getSite(id);
  }

  @Patch(':siteId')
  @Allow('admin')
  @Audited({ action: 'site.update', targetType: 'site', targetParam: 'siteId' })
  @ApiOkResponse({ type: SiteView })
  update(@Param('siteId', ParseUUIDPipe) id: string, @Body() dto: UpdateSiteDto): Promise<SiteView> {
    return this.sites.updateSite(id, dto);
  }

  @Delete(':siteId')
  @HttpCode(204)
  @Allow('admin')
  @Audited({ action: 'site.delete', targetType: 'site', targetParam: 'siteId' })
  async delete(@Param('siteId', ParseUUIDPipe) id: string): Promise<void> {
    await this.sites.deleteSite(id);
  }
}

@ApiTags('sites')
@ApiBearerAuth()
@ApiProblems()
@Controller('zones')
export class ZonesController {
  constructor(private readonly sites: SiteService) {}

  @Post()
  @Allow(...CONFIGURE)
  @Audited({ action: 'zone.create', targetType: 'zone' })
  @ApiCreatedResponse({ type: ZoneView })
  create(@Body() dto: CreateZoneDto): Promise<ZoneView> {
    return this.sites.createZone(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOkResponse({ type: ZonePageView })
  list(@Query() q: ZoneQueryDto): Promise<ZonePageView> {
    return this.sites.listZones(q);
  }

  @Get(':zoneId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: ZoneView })
  get(@Param('zoneId', ParseUUIDPipe) id: string): Promise<ZoneView> {
    return this.sites.getZone(id);
  }

  @Patch(':zoneId')
  @Allow(...CONFIGURE)
  @Audited({ action: 'zone.update', targetType: 'zone', targetParam: 'zoneId' })
  @ApiOkResponse({ type: ZoneView })
  update(@Param('zoneId', ParseUUIDPipe) id: string, @Body() dto: UpdateZoneDto): Promise<ZoneView> {
    return this.sites.updateZone(id, dto);
  }

  @Delete(':zoneId')
  @HttpCode(204)
  @Allow(...CONFIGURE)
  @Audited({ action: 'zone.delete', targetType: 'zone', targetParam: 'zoneId' })
  async delete(@Param('zoneId', ParseUUIDPipe) id: string): Promise<void> {
    await this.sites.deleteZone(id);
  }
}
