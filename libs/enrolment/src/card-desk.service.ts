import { Injectable, Logger } from '@nestjs/common';
import { CardFleet, DeskInputTimeout, nextAtReader, type CardPresented, type PinEntered } from '@acs/card-fleet';
import { AppConfig } from '@acs/config';
import { CredentialService, type CardView as StoredCardView } from '@acs/credentials';
import { ConflictError, DomainError, iso, isoOrNull, NotFoundError } from '@acs/http';
import { CardReaderService, CustomerService, PersonService } from '@acs/registry';
import { DESK_WAIT_DEFAULT_S, type CardView, type IssueCardDto, type SetPinDto } from './cards.dto.js';

const parse = (v: string | undefined): number | null => (v === undefined ? null : Date.parse(v));

export const cardView = (c: StoredCardView): CardView => ({
  id: c.id,
  customerId: c.customerId,
  personId: c.personId,
  format: c.format,
  bitCount: c.bitCount,
  hint: c.hint,
  state: c.state,
  validFrom: isoOrNull(c.validFrom),
  validUntil: isoOrNull(c.validUntil),
  pinSet: c.pinSet,
  pinLocked: c.pinLocked,
  createdAt: iso(c.createdAt),
  updatedAt: iso(c.updatedAt),
});

/**
 * The security desk's card flows (issue 17): a card is issued by presenting it at a desk card
 * reader, and a PIN is typed on that reader's keypad, so neither the card number nor the PIN
 * ever passes through the browser, the HTTP API, a log or the audit trail. Only the instance
 * wired to the desk reader hears it: the caller is told which instance that is.
 */
@Injectable()
export class CardDeskService {
  private readonly logger = new Logger('CardDesk');
  /** Desk readers with a request waiting at them: a second would race the first for the same card or PIN. */
  private readonly waiting = new Set<string>();

  constructor(
    private readonly credentials: CredentialService,
    private readonly fleet: CardFleet,
    private readonly readers: CardReaderService,
    private readonly persons: PersonService,
    private readonly customers: CustomerService,
    private readonly config: AppConfig,
  ) {}

  async listPersonCards(personId: string, customerId?: string): Promise<CardView[]> {
    await this.customerOf(personId, customerId);
    return (await this.credentials.listPersonCards(personId)).map(cardView);
  }

  /** The card, or 404 when a customer-scoped caller names another customer's card (as if it did not exist). */
  async getCard(cardId: string, customerId?: string): Promise<CardView> {
    return cardView(await this.card(cardId, customerId));
  }

  async issue(personId: string, dto: IssueCardDto, issuedBy: string | null, signal?: AbortSignal): Promise<CardView> {
    const customerId = await this.customerOf(personId);
    if ((await this.customers.isPurged(customerId)) !== false) throw new ConflictError('card.customer_purged', 'the customer of this person has been purged');
    const validFrom = parse(dto.validFrom);
    const validUntil = parse(dto.validUntil);
    // Checked before the wait, so nobody presents a card only to hear the dates were wrong.
    if (validFrom !== null && validUntil !== null && validUntil <= validFrom) {
      throw new DomainError('credentials.invalid_validity', 'validUntil must be after validFrom');
    }
    await this.mustBeDeskHere(dto.deskReaderId);
    const presented = await this.waitAt('card', dto.deskReaderId, dto.timeoutSeconds, signal);
    try {
      const card = await this.credentials.issueCard({ customerId, personId, read: presented.read, validFrom, validUntil, issuedBy });
      void this.fleet.feedback(dto.deskReaderId, 'granted');
      this.logger.log(`card ${card.id} issued to person ${personId} at desk reader ${dto.deskReaderId}`);
      return cardView(card);
    } catch (err) {
      void this.fleet.feedback(dto.deskReaderId, 'denied');
      throw err;
    }
  }

  async setPin(cardId: string, dto: SetPinDto, signal?: AbortSignal): Promise<CardView> {
    const card = await this.card(cardId);
    if (card.state === 'revoked') throw new ConflictError('credentials.card_revoked', 'the card is revoked');
    await this.mustBeDeskHere(dto.deskReaderId);
    const entry = await this.waitAt('pin', dto.deskReaderId, dto.timeoutSeconds, signal);
    if (entry.cancelled) {
      void this.fleet.feedback(dto.deskReaderId, 'denied');
      throw new ConflictError('card.pin_cancelled', 'the PIN entry was cancelled at the reader');
    }
    try {
      // The service refuses a malformed PIN with a message that never repeats it.
      await this.credentials.setPin(cardId, entry.pin);
    } catch (err) {
      void this.fleet.feedback(dto.deskReaderId, 'denied');
      throw err;
    }
    void this.fleet.feedback(dto.deskReaderId, 'granted');
    this.logger.log(`PIN set for card ${cardId} at desk reader ${dto.deskReaderId}`);
    return cardView(await this.credentials.getCard(cardId));
  }

  async suspend(cardId: string, customerId?: string): Promise<CardView> {
    await this.card(cardId, customerId);
    return cardView(await this.credentials.suspendCard(cardId));
  }

  async reinstate(cardId: string): Promise<CardView> {
    return cardView(await this.credentials.reinstateCard(cardId));
  }

  async revoke(cardId: string, customerId?: string): Promise<CardView> {
    await this.card(cardId, customerId);
    return cardView(await this.credentials.revokeCard(cardId));
  }

  async unlockPin(cardId: string): Promise<CardView> {
    return cardView(await this.credentials.unlockPin(cardId));
  }

  /** The person's customer; with `scope`, a person of another customer is not found. */
  private async customerOf(personId: string, scope?: string): Promise<string> {
    const customerId = await this.persons.customerOf(personId);
    if (customerId === null || (scope !== undefined && customerId !== scope)) throw new NotFoundError('Person', personId);
    return customerId;
  }

  private async card(cardId: string, scope?: string): Promise<StoredCardView> {
    const card = await this.credentials.getCard(cardId);
    if (scope !== undefined && card.customerId !== scope) throw new NotFoundError('Card', cardId);
    return card;
  }

  private async mustBeDeskHere(readerId: string): Promise<void> {
    const reader = await this.readers.getCardReader(readerId);
    if (reader.role !== 'enrolment') {
      throw new DomainError('card.not_a_desk_reader', 'cards are issued and PINs typed at a card reader with the enrolment role', 400);
    }
    if (this.fleet.has(readerId)) return;
    const bus = await this.readers.getBus(reader.busId);
    if (bus.host !== this.config.INSTANCE_ID) {
      // The host is an instance name, never personal data: the console sends the request there.
      throw new ConflictError('card.desk_reader_elsewhere', 'the desk card reader is wired to another server instance; call that instance', {
        host: bus.host,
      });
    }
    throw new DomainError('card.desk_reader_unavailable', 'this server instance does not drive its card readers right now', 503);
  }

  private async waitAt<K extends 'card' | 'pin'>(
    kind: K,
    readerId: string,
    timeoutSeconds: number | undefined,
    signal?: AbortSignal,
  ): Promise<K extends 'card' ? CardPresented : PinEntered> {
    if (this.waiting.has(readerId)) throw new ConflictError('card.desk_busy', 'another request is waiting at this desk reader', { readerId });
    this.waiting.add(readerId);
    try {
      return await nextAtReader(this.fleet, kind, readerId, (timeoutSeconds ?? DESK_WAIT_DEFAULT_S) * 1000, signal);
    } catch (err) {
      if (err instanceof DeskInputTimeout) {
        throw new ConflictError(
          'card.desk_timeout',
          kind === 'card' ? 'no card was presented at the desk reader in time' : 'no PIN was entered at the desk reader in time',
          {
            readerId,
          },
        );
      }
      throw err;
    } finally {
      this.waiting.delete(readerId);
    }
  }
}
