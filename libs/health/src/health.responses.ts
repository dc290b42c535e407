import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const CHECKS = { type: 'object', additionalProperties: { type: 'object', properties: { status: { type: 'string' } }, additionalProperties: true } } as const;

/** Terminus's HealthCheckResult: the checks by name (database, broker, readers), each with a status. */
export class HealthView {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status!: string;
  @ApiPropertyOptional({ ...CHECKS, description: 'Checks that are up' }) info?: Record<string, { status: string }>;
  @ApiPropertyOptional({ ...CHECKS, description: 'Checks that are down' }) error?: Record<string, { status: string }>;
  @ApiProperty({ ...CHECKS, description: 'Every check' }) details!: Record<string, { status: string }>;
}
