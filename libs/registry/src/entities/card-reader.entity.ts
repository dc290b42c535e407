import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';
import { SiteEntity } from './site.entity.js';
import type { ReaderRole } from './device.entity.js';

/** How a card reader's Secure Channel is used (the OSDP bus's SecureMode, docs/osdp-secure-channel.md). */
export const CARD_READER_SECURE_MODES = ['required', 'if-capable', 'off'] as const;
export type CardReaderSecureMode = (typeof CARD_READER_SECURE_MODES)[number];

/** OSDP line speeds (osdp_COMSET, docs/osdp.md §Physical layer). */
export const OSDP_BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400] as const;

/** An RS-485 line with OSDP card readers on it, behind a serial port or a serial device server. */
@Entity('osdp_bus')
@Index('uq_osdp_bus_host_transport', ['host', 'transport'], { unique: true })
@Index('idx_osdp_bus_site', ['siteId'])
export class OsdpBusEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'site_id', type: 'varchar', length: 36 })
  siteId!: string;

  @ManyToOne(() => SiteEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'site_id' })
  site?: SiteEntity;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  /** `/dev/ttyUSB1` or `tcp://host:port`; unique within its host. */
  @Column({ type: 'varchar', length: 255 })
  transport!: string;

  /** The server instance wired to the line (its INSTANCE_ID); only that instance opens it. */
  @Column({ type: 'varchar', length: 64, default: 'default' })
  host!: string;

  @Column({ name: 'baud_rate', type: 'integer' })
  baudRate!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}

/** An OSDP peripheral device (card reader, maybe with keypad) at one address of a bus. */
@Entity('card_reader')
@Index('uq_card_reader_bus_address', ['busId', 'address'], { unique: true })
@Index('idx_card_reader_site', ['siteId'])
export class CardReaderEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'site_id', type: 'varchar', length: 36 })
  siteId!: string;

  @ManyToOne(() => SiteEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'site_id' })
  site?: SiteEntity;

  @Column({ name: 'bus_id', type: 'varchar', length: 36 })
  busId!: string;

  @ManyToOne(() => OsdpBusEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'bus_id' })
  bus?: OsdpBusEntity;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  /** OSDP address 0x00-0x7E (0x7F is broadcast). */
  @Column({ type: 'integer' })
  address!: number;

  /** `door` (badge-in) or `enrolment` (the security desk: cards issued and PINs typed there). */
  @Column({ type: 'varchar', length: 16 })
  role!: ReaderRole;

  @Column({ name: 'secure_mode', type: 'varchar', length: 16 })
  secureMode!: CardReaderSecureMode;

  /** Accept the public SCBK-D once, to give the reader its own key with osdp_KEYSET. */
  @Column({ name: 'install_mode', type: 'boolean' })
  installMode!: boolean;

  /** The reader's own Secure Channel base key, encrypted under the system data key; null until set. */
  @Column({ name: 'scbk_ct', type: 'text', nullable: true })
  scbkCt!: string | null;

  @Column({ name: 'scbk_set_at', type: 'bigint', nullable: true, transformer: epochMs })
  scbkSetAt!: number | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
