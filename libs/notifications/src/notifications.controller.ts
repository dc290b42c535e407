import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, AllowStaffOrOwnCustomer, Audited, CurrentPrincipal, type Principal } from '@acs/auth';
import { ApiProblems, DomainError } from '@acs/http';
import { NotificationSettingsView, OutboxQueryDto, OutboxRowView, OutboxSummaryView, SaveNotificationSettingsDto } from './notifications.dto.js';
import { Notifications, type Recipient } from './notifications.service.js';

/**
 * The administrator's own settings: the route is the customer's (another customer's id is 403
 * like every customer route) and the settings are the caller's account's, so an administrator
 * can reach no one else's. A customer token has no account, hence no settings.
 */
function recipientOf(p: Principal | undefined, customerId: string): Recipient {
  if (!p || p.kind !== 'customer' || p.staffId === undefined) {
    throw new DomainError('notification.account_required', "notification settings belong to a customer administrator's account", 403);
  }
  return { staffId: p.staffId, customerId };
}

@ApiTags('notifications')
@ApiBearerAuth()
@ApiProblems()
@Controller()
export class NotificationsController {
  constructor(private readonly notifications: Notifications) {}

  @Get('customers/:customerId/notification-settings')
  @AllowStaffOrOwnCustomer('customerId')
  @Audited({ action: 'notification.settings.read', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: "The signed-in customer administrator's own notification settings" })
  @ApiOkResponse({ type: NotificationSettingsView })
  settings(@Param('customerId', ParseUUIDPipe) customerId: string, @CurrentPrincipal() p: Principal | undefined): Promise<NotificationSettingsView> {
    return this.notifications.settingsOf(recipientOf(p, customerId));
  }

  @Put('customers/:customerId/notification-settings')
  @AllowStaffOrOwnCustomer('customerId')
  @Audited({ action: 'notification.settings.save', targetType: 'customer', targetParam: 'customerId' })
  @ApiOperation({ summary: 'Replace your address and the kinds of notification you receive' })
  @ApiOkResponse({ type: NotificationSettingsView })
  save(
    @Param('customerId', ParseUUIDPipe) customerId: string,
    @Body() dto: SaveNotificationSettingsDto,
    @CurrentPrincipal() p: Principal | undefined,
  ): Promise<NotificationSettingsView> {
    return this.notifications.saveSettings(recipientOf(p, customerId), dto.email, dto.kinds);
  }

  @Get('notifications/outbox')
  @Allow('admin')
  @ApiOperation({ summary: 'Queued, sent, dead and dropped notifications, newest first (ids and codes only)' })
  @ApiOkResponse({ type: [OutboxRowView] })
  outbox(@Query() q: OutboxQueryDto): Promise<OutboxRowView[]> {
    return this.notifications.outbox(q.status, q.limit ?? 100);
  }

  @Get('notifications/outbox/summary')
  @Allow('admin', 'security')
  @ApiOkResponse({ type: OutboxSummaryView })
  async summary(): Promise<OutboxSummaryView> {
    return { ...(await this.notifications.summary()), sending: this.notifications.enabled };
  }

  @Post('notifications/outbox/:notificationId/retry')
  @HttpCode(200)
  @Allow('admin')
  @Audited({ action: 'notification.retry', targetType: 'notification', targetParam: 'notificationId' })
  @ApiOperation({ summary: 'Give a dead notification another round of attempts' })
  @ApiOkResponse({ type: OutboxRowView })
  retry(@Param('notificationId', ParseUUIDPipe) id: string): Promise<OutboxRowView> {
    return this.notifications.retry(id);
  }
}
