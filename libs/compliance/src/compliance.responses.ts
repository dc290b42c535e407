import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { DSR_KINDS, DSR_STATUSES, IDENTITY_METHODS } from './entities.js';

/**
 * What the compliance routes answer, for the OpenAPI document (and so the console's generated
 * types). The services return plain interfaces (ErasureJobView, DsrCaseView, ...); these classes
 * only describe them, field for field.
 */

export class ReaderConfirmationView {
  @ApiProperty() readerId!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Epoch ms when the reader confirmed its deletes' }) confirmedAt!: number | null;
  @ApiProperty({ type: 'integer' }) remainingSlots!: number;
  @ApiProperty({ type: 'integer' }) pendingOps!: number;
}

export class ErasureJobView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['customer', 'person', 'biometrics', 'visitor'] }) kind!: 'customer' | 'person' | 'biometrics' | 'visitor';
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) personId!: string | null;
  @ApiProperty({ enum: ['running', 'waiting_for_devices', 'held', 'done'] }) state!: string;
  @ApiProperty({ description: 'The next step to run (done when finished)' }) step!: string;
  @ApiProperty() trigger!: string;
  @ApiProperty({ type: String, nullable: true }) requestedBy!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) caseId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: [ReaderConfirmationView], description: 'Readers whose deletes are not yet verified' }) outstandingReaders!: ReaderConfirmationView[];
  @ApiProperty({ type: [String], description: 'Parts postponed by a legal hold' }) deferred!: string[];
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: [String] }) certificateIds!: string[];
}

export class PurgePreviewView {
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty() contractRef!: string;
  @ApiProperty() status!: string;
  @ApiProperty() due!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dueAt!: string | null;
  @ApiProperty({ type: 'integer' }) people!: number;
  @ApiProperty({ type: 'integer' }) templates!: number;
  @ApiProperty({ type: 'integer' }) readersHoldingTemplates!: number;
  @ApiProperty({ type: 'integer' }) historyEvents!: number;
  @ApiProperty() historyPolicy!: string;
  @ApiProperty({ type: 'integer' }) legalHolds!: number;
  @ApiProperty() dataKeyPresent!: boolean;
}

export class PurgeScheduleView {
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ type: 'integer' }) checkIntervalS!: number;
  @ApiProperty({ type: 'integer' }) graceDays!: number;
}

export class DuePurgesView {
  @ApiProperty({ type: [String] }) customerIds!: string[];
  @ApiProperty({ type: PurgeScheduleView }) schedule!: PurgeScheduleView;
}

export class CertificateSummaryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) jobId!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) personId!: string | null;
  @ApiProperty() complete!: boolean;
  @ApiProperty({ format: 'date-time' }) issuedAt!: string;
  @ApiProperty() hash!: string;
}

export class UndonePurgeView {
  @ApiProperty() certificate!: string;
  @ApiProperty({ enum: ['customer', 'person', 'biometrics', 'visitor'] }) kind!: 'customer' | 'person' | 'biometrics' | 'visitor';
  @ApiProperty() customerId!: string;
  @ApiProperty({ type: String, nullable: true }) personId!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) issuedAt!: string | null;
  @ApiProperty({ type: [String], description: 'What is back, as counts and kinds of data (never values)' }) back!: string[];
}

export class InvalidEvidenceFileView {
  @ApiProperty() file!: string;
  @ApiProperty({ type: [String] }) problems!: string[];
}

export class FolderComparisonView {
  @ApiProperty({ type: [UndonePurgeView] }) undone!: UndonePurgeView[];
  @ApiProperty({ type: [InvalidEvidenceFileView] }) invalid!: InvalidEvidenceFileView[];
  @ApiProperty({ type: 'integer' }) checked!: number;
}

export class UndonePurgesView extends FolderComparisonView {
  @ApiProperty({ type: FolderComparisonView, nullable: true, description: 'The comparison made at start-up' }) startup!: FolderComparisonView | null;
}

export class ReappliedJobsView {
  @ApiProperty({ type: [ErasureJobView] }) jobs!: ErasureJobView[];
}

export class CheckpointRefView {
  @ApiProperty({ type: 'integer' }) number!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() instance!: string;
  @ApiProperty() reason!: string;
}

export class CheckpointFindingView {
  @ApiProperty() chain!: string;
  @ApiProperty({ enum: ['missing_tail', 'rewritten', 'erased_since'] }) problem!: 'missing_tail' | 'rewritten' | 'erased_since';
  @ApiProperty({ type: 'integer' }) checkpointSeq!: number;
  @ApiProperty({ type: 'integer', nullable: true }) databaseSeq!: number | null;
}

export class CheckpointVerificationView {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ type: CheckpointRefView, nullable: true }) checkpoint!: CheckpointRefView | null;
  @ApiProperty({ description: 'The database misses entries the newest checkpoint saw: restored backup or lost writes' }) databaseOlder!: boolean;
  @ApiProperty({ type: [CheckpointFindingView] }) findings!: CheckpointFindingView[];
  @ApiProperty({ type: String, nullable: true, enum: ['valid', 'malformed', 'unknown_key', 'bad_signature', 'wrong_type'] }) signature!: string | null;
  @ApiProperty({ type: String, nullable: true }) file!: string | null;
}

export class LastCheckpointView {
  @ApiProperty({ type: 'integer' }) number!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() reason!: string;
}

export class CheckpointsView {
  @ApiProperty() folder!: string;
  @ApiProperty({ type: 'integer' }) intervalS!: number;
  @ApiProperty({ type: CheckpointVerificationView, nullable: true }) startup!: CheckpointVerificationView | null;
  @ApiProperty() paused!: boolean;
  @ApiProperty({ type: LastCheckpointView, nullable: true }) lastWritten!: LastCheckpointView | null;
  @ApiProperty({ type: CheckpointVerificationView }) now!: CheckpointVerificationView;
}

export class ChainHeadView {
  @ApiProperty({ type: 'integer' }) seq!: number;
  @ApiProperty() hash!: string;
}

@ApiExtraModels(ChainHeadView)
export class ChainHeadsView {
  @ApiProperty({ type: ChainHeadView, nullable: true }) audit!: ChainHeadView | null;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: getSchemaPath(ChainHeadView) }, description: 'By chain id' })
  history!: Record<string, ChainHeadView>;
}

export class CheckpointBodyView {
  @ApiProperty({ enum: [1] }) version!: 1;
  @ApiProperty({ type: 'integer' }) checkpoint!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() instance!: string;
  @ApiProperty({ enum: ['interval', 'purge', 'erasure', 'startup', 'rollback_accepted', 'manual'] }) reason!: string;
  @ApiProperty({ type: String, nullable: true }) prev!: string | null;
  @ApiProperty({ type: ChainHeadsView }) heads!: ChainHeadsView;
}

export class TakenCheckpointView {
  @ApiProperty({ type: CheckpointBodyView, nullable: true, description: 'Null while checkpoints are paused by a start-up alarm' })
  checkpoint!: CheckpointBodyView | null;
}

export class SigningKeyView {
  @ApiProperty() kid!: string;
  @ApiProperty() pem!: string;
  @ApiProperty({ description: 'SHA-256 of the DER SubjectPublicKeyInfo, hex' }) fingerprint!: string;
  @ApiProperty() current!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) retiredAt!: string | null;
}

export class LegalHoldView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Null: the whole customer' }) personId!: string | null;
  @ApiProperty() reason!: string;
  @ApiProperty() reference!: string;
  @ApiProperty() placedBy!: string;
  @ApiProperty({ type: 'integer', description: 'Epoch ms' }) placedAt!: number;
  @ApiProperty({ type: String, nullable: true }) releasedBy!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Epoch ms' }) releasedAt!: number | null;
  @ApiProperty({ type: String, nullable: true }) releaseReason!: string | null;
}

export class DsrCaseView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: DSR_KINDS }) kind!: string;
  @ApiProperty({ format: 'uuid' }) personId!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ format: 'date-time' }) receivedAt!: string;
  @ApiProperty({ enum: IDENTITY_METHODS }) identityMethod!: string;
  @ApiProperty() identityCheckedBy!: string;
  @ApiProperty({ format: 'date-time' }) identityCheckedAt!: string;
  @ApiProperty({ format: 'date-time' }) dueAt!: string;
  @ApiProperty() extended!: boolean;
  @ApiProperty({ type: String, nullable: true }) extensionReason!: string | null;
  @ApiProperty({ enum: DSR_STATUSES }) status!: string;
  @ApiProperty() overdue!: boolean;
  @ApiProperty({ type: String, nullable: true }) outcome!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt!: string | null;
  @ApiProperty({ enum: ['staff', 'customer'], description: 'Opened by compliance staff, or filed by the customer through the portal' }) filedBy!: string;
}

export class RectifiedView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: [String], description: 'Names of the fields changed' }) updated!: string[];
}

export class PersonStatusView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() status!: string;
}

/** Documents whose shape is their own (a certificate body, a person's export): any JSON object. */
export const FREE_FORM_OBJECT = { type: 'object', additionalProperties: true } as const;
