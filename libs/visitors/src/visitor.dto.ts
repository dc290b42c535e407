import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsISO8601, IsOptional, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { PlainText } from '@acs/http';
import { VISITOR_STATUSES, type VisitorStatus } from './visitor.entity.js';

export class RegisterVisitorDto {
  @ApiProperty({ example: 'Eva Jansen', maxLength: 200 })
  @PlainText()
  @MinLength(1)
  @MaxLength(200)
  fullName!: string;

  @ApiPropertyOptional({ example: 'Example Networks B.V.', maxLength: 200 })
  @IsOptional()
  @PlainText()
  @MinLength(1)
  @MaxLength(200)
  company?: string;

  @ApiPropertyOptional({ example: 'eva@example.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiProperty({ format: 'uuid', description: 'The person of the customer who receives the visitor (and escorts them)' })
  @IsUUID()
  hostPersonId!: string;

  @ApiProperty({ format: 'uuid', description: "Where the visitor may go: one of the access levels the customer's grants name" })
  @IsUUID()
  accessLevelId!: string;

  @ApiProperty({ format: 'date-time', description: 'Start of the expected arrival window; the local date of this instant is the visit date' })
  @IsISO8601({ strict: true })
  windowStart!: string;

  @ApiProperty({
    format: 'date-time',
    description: "Exclusive end of the window: the visitor's access ends here, checked out or not (at most 24 h after the start)",
  })
  @IsISO8601({ strict: true })
  windowEnd!: string;
}

export class VisitorQueryDto {
  @ApiPropertyOptional({ description: 'Local visit date, YYYY-MM-DD' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/)
  date?: string;

  @ApiPropertyOptional({ enum: VISITOR_STATUSES }) @IsOptional() @IsIn(VISITOR_STATUSES) status?: VisitorStatus;
}

export class CheckInVisitorDto {
  @ApiProperty({
    description: 'The desk has checked the ID document against the name (required, must be true). Only that it was checked is recorded, never the document.',
  })
  @IsBoolean()
  idChecked!: boolean;
}

export class VisitorPolicyDto {
  @ApiProperty({ description: "The customer's visitors must be escorted by their host at every door" })
  @IsBoolean()
  visitorEscortRequired!: boolean;
}

export class VisitorView {
  @ApiProperty({ format: 'uuid', description: "Also the visitor's person id once checked in" }) id!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ enum: VISITOR_STATUSES }) status!: VisitorStatus;
  @ApiProperty({ nullable: true, type: String, description: 'null once erased' }) fullName!: string | null;
  @ApiProperty({ nullable: true, type: String }) company!: string | null;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ format: 'uuid' }) hostPersonId!: string;
  @ApiProperty({ format: 'uuid' }) accessLevelId!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty({ description: 'Local date of the visit (site time zone)' }) visitDate!: string;
  @ApiProperty({ format: 'date-time' }) windowStart!: string;
  @ApiProperty({ format: 'date-time' }) windowEnd!: string;
  @ApiProperty({ nullable: true, type: Boolean, description: "The customer's policy as applied at check-in" }) escortRequired!: boolean | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) idCheckedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) idCheckedBy!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) checkedInAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) checkedOutAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'null when the window closed the visit' }) checkedOutBy!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) grantId!: string | null;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) erasedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) erasureJobId!: string | null;
}

export class VisitorPageView {
  @ApiProperty({ type: [VisitorView] }) items!: VisitorView[];
}

export class VisitorsTodayCountView {
  @ApiProperty({ description: 'Expected today and not yet arrived' }) expected!: number;
  @ApiProperty({ description: 'Checked in and not yet left' }) checkedIn!: number;
}

export class VisitorPolicyView {
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty() visitorEscortRequired!: boolean;
}
