import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Allow } from '@acs/auth';
import { ApiProblems } from '@acs/http';
import { DeviceOwnership, type DeviceLeaseView } from './device-ownership.js';

export class DeviceLeaseDto implements DeviceLeaseView {
  @ApiProperty({ example: 'devices:dc1:dc1-a' }) lease!: string;
  @ApiProperty({ example: 'dc1', description: 'Failover group of the devices' }) group!: string;
  @ApiProperty({ example: 'dc1-a', description: 'The instance the devices are wired to by the registry' }) preferredHost!: string;
  @ApiProperty({ example: 'dc1-b', description: 'The instance serving them (or that last did, when not live)' }) holder!: string;
  @ApiProperty({ format: 'date-time', description: 'Since when the holder has served them' }) since!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ description: 'False when the holder stopped renewing and nobody has taken over yet' }) live!: boolean;
  @ApiProperty({ description: 'Fencing token of the current holder' }) token!: number;
}

/** Who serves which failover group's readers and controllers (issue 18), for the security desk and operators. */
@ApiTags('cluster')
@ApiBearerAuth()
@ApiProblems()
@Controller('cluster')
export class ClusterController {
  constructor(private readonly ownership: DeviceOwnership) {}

  @Get('device-leases')
  @Allow('admin', 'security')
  @ApiOperation({ summary: 'Every failover group lease: preferred host, current holder, since when, fencing token' })
  @ApiOkResponse({ type: [DeviceLeaseDto] })
  deviceLeases(): Promise<DeviceLeaseView[]> {
    return this.ownership.view();
  }
}
