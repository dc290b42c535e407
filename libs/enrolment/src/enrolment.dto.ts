import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsUUID, Max, Min } from 'class-validator';

export class StartEnrolmentDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() personId!: string;
  @ApiProperty({ minimum: 0, maximum: 9, description: '0..9: right thumb to right little finger, then left thumb to left little finger' })
  @IsInt()
  @Min(0)
  @Max(9)
  finger!: number;
  @ApiProperty({ format: 'uuid', description: 'A reader with the enrolment role' }) @IsUUID() readerId!: string;
}

export class EnrolmentCapturesView {
  @ApiProperty() taken!: number;
  @ApiProperty() needed!: number;
}

export class EnrolmentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) personId!: string;
  @ApiProperty() finger!: number;
  @ApiProperty({ format: 'uuid' }) readerId!: string;
  @ApiProperty({ enum: ['running', 'enrolled', 'refused', 'failed', 'cancelled'] }) status!: string;
  @ApiProperty({ example: 'capture_2' }) step!: string;
  @ApiProperty({ enum: ['place_finger', 'lift_finger', 'place_again', 'try_again', 'wait', 'done'], nullable: true }) prompt!: string | null;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiProperty({ type: EnrolmentCapturesView }) captures!: EnrolmentCapturesView;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'duplicate_finger',
    description: 'timeout, cancelled, duplicate_finger, poor_quality, fingers_differ, reader_error',
  })
  reason!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Id of the stored template record; the template itself is never returned' }) templateId!:
    string | null;
  @ApiProperty({ type: Number, nullable: true }) quality!: number | null;
  @ApiProperty() startedAt!: number;
  @ApiProperty({ type: Number, nullable: true }) finishedAt!: number | null;
}

/** What a person of the customer is enrolled with: counts only (the customer's portal shows them). */
export class PersonEnrolmentView {
  @ApiProperty({ format: 'uuid' }) personId!: string;
  @ApiProperty({ description: 'Enrolled fingers' }) fingers!: number;
  @ApiProperty({ description: 'Active cards' }) cards!: number;
}

export class FingerprintView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() finger!: number;
  @ApiProperty() model!: string;
  @ApiProperty() format!: string;
  @ApiProperty() size!: number;
  @ApiProperty() quality!: number;
  @ApiProperty({ type: String, nullable: true }) enrolledBy!: string | null;
  @ApiProperty() enrolledAt!: string;
}

export class ErasureView {
  @ApiProperty({ type: [String] }) opIds!: string[];
  @ApiProperty({ type: [String] }) readerIds!: string[];
  @ApiProperty() templatesDeleted!: number;
}

export class ReconciliationView {
  @ApiProperty() at!: number;
  @ApiProperty() found!: number;
  @ApiProperty() expected!: number;
  @ApiProperty() missingPushed!: number;
  @ApiProperty() ghostsDeleted!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
}

export class ReaderLibraryView {
  @ApiProperty({ format: 'uuid' }) readerId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() role!: string;
  @ApiProperty({ enum: ['idle', 'connecting', 'ready', 'failed', 'closed', 'disabled'] }) state!: string;
  @ApiProperty() capacity!: number;
  @ApiProperty({ description: 'Templates the reader must hold' }) expected!: number;
  @ApiProperty({ description: 'Templates confirmed on the module' }) present!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Capacity planning with real finger counts' }) required!: number | null;
  @ApiProperty() pendingOps!: number;
  @ApiProperty() failedOps!: number;
  @ApiProperty({ type: ReconciliationView, nullable: true }) lastReconciliation!: ReconciliationView | null;
}

export class ReaderOpView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() seq!: number;
  @ApiProperty({ enum: ['store', 'delete', 'empty'] }) kind!: string;
  @ApiProperty({ type: Number, nullable: true }) slot!: number | null;
  @ApiProperty({ type: String, nullable: true }) templateId!: string | null;
  @ApiProperty({ enum: ['pending', 'done', 'failed', 'skipped'] }) state!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty() createdAt!: number;
}

export class ReaderLibraryDetailView extends ReaderLibraryView {
  @ApiProperty({ type: [ReaderOpView] }) ops!: ReaderOpView[];
}

export class EmptyReaderView {
  @ApiProperty({ format: 'uuid', description: 'The outbox operation; follow it in GET /reader-libraries/{id}' }) opId!: string;
}
