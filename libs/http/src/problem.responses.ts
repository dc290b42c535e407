import { applyDecorators } from '@nestjs/common';
import { ApiDefaultResponse, ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

/** One field that failed validation (flattenValidationErrors): its path and the rules it broke, never its value. */
export class FieldProblemView {
  @ApiProperty({ description: 'Dotted path of the field, e.g. `contact.email`' }) field!: string;
  @ApiProperty({ type: [String], description: 'The rules the value broke' }) problems!: string[];
}

/**
 * The RFC 9457 problem document that ProblemDetailsFilter sends for every error. Codes may add
 * their own members (e.g. `id`, `readerId`, `referencedBy`), hence additionalProperties.
 */
export class ProblemView {
  @ApiProperty({ example: 'urn:acs:problem:validation.failed' }) type!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: 'integer' }) status!: number;
  @ApiProperty({ description: 'Stable machine-readable code', example: 'validation.failed' }) code!: string;
  @ApiPropertyOptional() detail?: string;
  @ApiPropertyOptional({ description: 'Also in the X-Request-Id header' }) requestId?: string;
  @ApiPropertyOptional({ type: [FieldProblemView], description: 'validation.failed: the fields that failed' }) errors?: FieldProblemView[];
  @ApiPropertyOptional({ type: 'integer', description: '429: seconds to wait (also the Retry-After header)' }) retryAfterSeconds?: number;
}

/** Where the problem schema sits in the OpenAPI document. */
const PROBLEM_SCHEMA_REF = getSchemaPath(ProblemView);

/**
 * On a controller: every error of its routes is application/problem+json (ProblemDetailsFilter
 * catches everything), said once here instead of per status on every handler.
 */
export function ApiProblems(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemView, FieldProblemView),
    ApiDefaultResponse({
      description: 'Any error: RFC 9457 problem details with a stable `code`',
      content: { 'application/problem+json': { schema: { $ref: PROBLEM_SCHEMA_REF } } },
    }),
  );
}
