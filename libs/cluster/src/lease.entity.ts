import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';

/** Who runs a cluster-wide job right now, and until when without renewal. */
@Entity('cluster_lease')
export class ClusterLeaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 120 })
  name!: string;

  /** INSTANCE_ID of the holder. */
  @Column({ type: 'varchar', length: 64 })
  holder!: string;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  @Column({ name: 'acquired_at', type: 'bigint', transformer: epochMs })
  acquiredAt!: number;
}
