import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { PersonEntity } from './person.entity.js';

/**
 * One keyed hash of a prefix of a word of a person's name, or a random pad (docs/credentials.md
 * §Names: a blind index of word prefixes): written and read by the person service's name index only.
 */
@Entity('person_name_index')
@Index('idx_person_name_index_person', ['personId'])
export class PersonNameIndexEntity {
  @PrimaryColumn({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  hash!: string;

  @PrimaryColumn({ name: 'person_id', type: 'varchar', length: 36 })
  personId!: string;

  @ManyToOne(() => PersonEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'person_id', foreignKeyConstraintName: 'fk_person_name_index_person' })
  person?: PersonEntity;
}
