import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STAFF_ROLES } from './roles.js';

/** GET /auth/me: the Principal behind the token, a staff member or a customer (roles.ts). */
export class PrincipalView {
  @ApiProperty({ enum: ['staff', 'customer'] }) kind!: 'staff' | 'customer';
  @ApiProperty({ format: 'uuid' }) tokenId!: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Staff tokens only' }) staffId?: string;
  @ApiPropertyOptional({ enum: STAFF_ROLES, description: 'Staff tokens only' }) role?: (typeof STAFF_ROLES)[number];
  @ApiPropertyOptional({ format: 'uuid', description: 'Customer tokens only' }) customerId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Browser sessions only: the session (also in tokenId)' }) sessionId?: string;
}
