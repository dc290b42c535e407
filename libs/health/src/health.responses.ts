import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const CHECKS = { type: 'object', additionalProperties: { type: 'object', properties: { status: { type: 'string' } }, additionalProperties: true } } as const;

/** Terminus's HealthCheckResult: the checks by name (database, broker, readers), each with a status. */
export class HealthView {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status!: string;
  @ApiPropertyOptional({ ...CHECKS, description: 'Checks that are up' }) info?: Record<string, { status: string }>;
  @ApiPropertyOptional({ ...CHECKS, description: 'Checks that are down' }) error?: Record<string, { status: string }>;
  @ApiProperty({ ...CHECKS, description: 'Every check' }) details!: Record<string, { status: string }>;
}

/** Degraded mode: whether the database is unreachable, since when, and what waits in the spool. */
export class DegradedView {
  @ApiProperty({ description: 'The database is unreachable: badge-ins are decided from memory and spooled' }) degraded!: boolean;
  @ApiProperty({ type: 'number', nullable: true, description: 'Epoch ms of the first connection failure of this outage' }) since!: number | null;
  @ApiProperty({ description: 'Seconds since then (0 when reachable)' }) ageSeconds!: number;
  @ApiProperty({ description: 'DEGRADED_WINDOW_S: beyond this age the doors fail secure (0: at once)' }) windowSeconds!: number;
}
