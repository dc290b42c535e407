import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, MaxLength, Min } from 'class-validator';
import { PlainText } from '@acs/http';

export class IssueCustomerTokenDto {
  @ApiPropertyOptional({ example: 'customer portal', maxLength: 100 }) @IsOptional() @PlainText() @MaxLength(100) label?: string;
  @ApiPropertyOptional({ example: 90 }) @IsOptional() @IsInt() @Min(1) @Max(3650) ttlDays?: number;
}

export class IssuedCustomerTokenView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Bearer token, shown once' }) token!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
}
