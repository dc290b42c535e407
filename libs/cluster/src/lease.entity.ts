import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, epochMs } from '@acs/database';

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

  /**
   * Fencing token: drawn anew, larger than every token in the table, each time the lease changes
   * holder, so a holder that lost the lease while paused can be told from the current one by the
   * database and by the devices it commands.
   */
  @Column({ type: 'bigint', transformer: bigintAsNumber, default: 0 })
  token!: number;
}
