import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Allow, AllowStaffOrOwnCustomer, Audited, CurrentPrincipal, type Principal, type StaffRole } from '@acs/auth';
import { ApiProblems } from '@acs/http';
import { CardDeskService } from './card-desk.service.js';
import { CardView, IssueCardDto, SetPinDto } from './cards.dto.js';

/** The security desk [README roles]: issuing cards and PINs happens there, never at a customer. */
const DESK: StaffRole[] = ['admin', 'security'];
/** Who reads people's records (as the registry's person reads). */
const PEOPLE_READ: StaffRole[] = ['admin', 'security', 'compliance', 'auditor'];

/** Aborted when the client goes away: the desk reader is free again at once, not after the timeout. */
function abandoned(res: Response): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return ac.signal;
}

@ApiTags('cards')
@ApiBearerAuth()
@ApiProblems()
@Controller()
export class CardsController {
  constructor(private readonly desk: CardDeskService) {}

  @Get('people/:personId/cards')
  @Allow(...PEOPLE_READ)
  @Audited({ action: 'card.list', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: "A person's cards, masked (last two digits at most)" })
  @ApiOkResponse({ type: [CardView] })
  list(@Param('personId', ParseUUIDPipe) personId: string): Promise<CardView[]> {
    return this.desk.listPersonCards(personId);
  }

  @Post('people/:personId/cards')
  @Allow(...DESK)
  @Audited({ action: 'card.issue', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({
    summary: 'Issue a card: waits for the next card presented at the desk card reader, then issues it to the person',
    description: 'The request stays open until a card is presented (at most `timeoutSeconds`); the card number never passes through HTTP.',
  })
  @ApiCreatedResponse({ type: CardView })
  issue(
    @Param('personId', ParseUUIDPipe) personId: string,
    @Body() dto: IssueCardDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CardView> {
    return this.desk.issue(personId, dto, principal.kind === 'staff' ? principal.staffId : null, abandoned(res));
  }

  @Get('cards/:cardId')
  @Allow(...PEOPLE_READ)
  @Audited({ action: 'card.read', targetType: 'card', targetParam: 'cardId' })
  @ApiOkResponse({ type: CardView })
  get(@Param('cardId', ParseUUIDPipe) cardId: string): Promise<CardView> {
    return this.desk.getCard(cardId);
  }

  @Post('cards/:cardId/pin')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'card.set_pin', targetType: 'card', targetParam: 'cardId' })
  @ApiOperation({
    summary: "Set or replace the card's PIN: waits for the person to type it on the desk reader's keypad, ended with #",
    description: 'The PIN never passes through HTTP; * at the reader cancels. Clears a PIN lock-out.',
  })
  @ApiOkResponse({ type: CardView })
  setPin(@Param('cardId', ParseUUIDPipe) cardId: string, @Body() dto: SetPinDto, @Res({ passthrough: true }) res: Response): Promise<CardView> {
    return this.desk.setPin(cardId, dto, abandoned(res));
  }

  @Post('cards/:cardId/suspend')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'card.suspend', targetType: 'card', targetParam: 'cardId' })
  @ApiOperation({ summary: 'Suspend a card: it opens nothing until reinstated' })
  @ApiOkResponse({ type: CardView })
  suspend(@Param('cardId', ParseUUIDPipe) cardId: string): Promise<CardView> {
    return this.desk.suspend(cardId);
  }

  @Post('cards/:cardId/reinstate')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'card.reinstate', targetType: 'card', targetParam: 'cardId' })
  @ApiOkResponse({ type: CardView })
  reinstate(@Param('cardId', ParseUUIDPipe) cardId: string): Promise<CardView> {
    return this.desk.reinstate(cardId);
  }

  @Post('cards/:cardId/revoke')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'card.revoke', targetType: 'card', targetParam: 'cardId' })
  @ApiOperation({ summary: 'Revoke a card for good (a lost card); issue a new one to replace it' })
  @ApiOkResponse({ type: CardView })
  revoke(@Param('cardId', ParseUUIDPipe) cardId: string): Promise<CardView> {
    return this.desk.revoke(cardId);
  }

  @Post('cards/:cardId/unlock-pin')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'card.unlock_pin', targetType: 'card', targetParam: 'cardId' })
  @ApiOperation({ summary: 'Lift a PIN lock-out after too many wrong PINs; the same PIN works again' })
  @ApiOkResponse({ type: CardView })
  unlockPin(@Param('cardId', ParseUUIDPipe) cardId: string): Promise<CardView> {
    return this.desk.unlockPin(cardId);
  }
}

/**
 * The same reads and the withdrawal of a card for a customer's own token: a customer may see and
 * suspend or revoke its own people's cards (a lost badge, a leaver), never issue one or set a PIN.
 */
@ApiTags('cards')
@ApiBearerAuth()
@ApiProblems()
@Controller('customers/:customerId')
export class CustomerCardsController {
  constructor(private readonly desk: CardDeskService) {}

  @Get('people/:personId/cards')
  @AllowStaffOrOwnCustomer('customerId', ...PEOPLE_READ)
  @Audited({ action: 'card.list', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: "A person's cards, masked, for the person's customer" })
  @ApiOkResponse({ type: [CardView] })
  list(@Param('customerId', ParseUUIDPipe) customerId: string, @Param('personId', ParseUUIDPipe) personId: string): Promise<CardView[]> {
    return this.desk.listPersonCards(personId, customerId);
  }

  @Post('cards/:cardId/suspend')
  @HttpCode(200)
  @AllowStaffOrOwnCustomer('customerId', ...DESK)
  @Audited({ action: 'card.suspend', targetType: 'card', targetParam: 'cardId' })
  @ApiOkResponse({ type: CardView })
  suspend(@Param('customerId', ParseUUIDPipe) customerId: string, @Param('cardId', ParseUUIDPipe) cardId: string): Promise<CardView> {
    return this.desk.suspend(cardId, customerId);
  }

  @Post('cards/:cardId/revoke')
  @HttpCode(200)
  @AllowStaffOrOwnCustomer('customerId', ...DESK)
  @Audited({ action: 'card.revoke', targetType: 'card', targetParam: 'cardId' })
  @ApiOkResponse({ type: CardView })
  revoke(@Param('customerId', ParseUUIDPipe) customerId: string, @Param('cardId', ParseUUIDPipe) cardId: string): Promise<CardView> {
    return this.desk.revoke(cardId, customerId);
  }
}
