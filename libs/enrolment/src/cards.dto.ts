import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { CARD_FORMATS } from '@acs/credentials';

/** Bounds of a desk wait: long enough to fetch a card from a drawer, short enough not to hold a request open for minutes. */
export const DESK_WAIT_DEFAULT_S = 30;
export const DESK_WAIT_MIN_S = 5;
export const DESK_WAIT_MAX_S = 120;

class DeskWaitDto {
  @ApiProperty({ format: 'uuid', description: 'A card reader with the enrolment role, wired to this server instance' })
  @IsUUID()
  deskReaderId!: string;

  @ApiPropertyOptional({ minimum: DESK_WAIT_MIN_S, maximum: DESK_WAIT_MAX_S, default: DESK_WAIT_DEFAULT_S, description: 'How long to wait at the reader' })
  @IsOptional()
  @IsInt()
  @Min(DESK_WAIT_MIN_S)
  @Max(DESK_WAIT_MAX_S)
  timeoutSeconds?: number;
}

export class IssueCardDto extends DeskWaitDto {
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) validFrom?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) validUntil?: string;
}

export class SetPinDto extends DeskWaitDto {}

/** A card as staff and the customer see it: never the number, at most its last two digits. */
export class CardView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ format: 'uuid' }) personId!: string;
  @ApiProperty({ enum: CARD_FORMATS }) format!: string;
  @ApiProperty() bitCount!: number;
  @ApiProperty({ example: '47', description: 'Last two digits of the card number (shown as …47); never more' }) hint!: string;
  @ApiProperty({ enum: ['active', 'suspended', 'revoked'] }) state!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) validFrom!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) validUntil!: string | null;
  @ApiProperty() pinSet!: boolean;
  @ApiProperty() pinLocked!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}
