import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ACCOUNT_ROLES, type AccountRole } from './roles.js';

/** GET /auth/me: the Principal behind the token, a staff member or a customer (roles.ts). */
export class PrincipalView {
  @ApiProperty({ enum: ['staff', 'customer'] }) kind!: 'staff' | 'customer';
  @ApiProperty({ format: 'uuid' }) tokenId!: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'The person account: staff, or a customer administrator (kind customer)' }) staffId?: string;
  @ApiPropertyOptional({ enum: ACCOUNT_ROLES, description: 'Staff and customer administrators only (customer_admin with kind customer)' }) role?: AccountRole;
  @ApiPropertyOptional({ format: 'uuid', description: 'Customer tokens and customer administrators only' }) customerId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Browser sessions only: the session (also in tokenId)' }) sessionId?: string;
}
