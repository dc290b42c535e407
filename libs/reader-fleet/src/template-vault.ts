import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { KeyService } from '@acs/crypto';
import { customerScope } from '@acs/registry';
import { FingerprintTemplateEntity } from './entities.js';
import { countTemplates } from './template-presence.js';

/** Associated data binding a template ciphertext to its row: a ciphertext moved to another row does not decrypt. */
export const templateAad = (templateId: string): string => `template:${templateId}:data`;

/** Whose stored templates an erasure takes: a customer's or one person's. */
export type TemplateOwner = { customerId: string } | { personId: string };

/**
 * Templates at rest: encrypted under the customer's data key (BioStar also encrypts templates on
 * the server: docs/privacy-and-regulation.md §What a market-leading product does), so
 * crypto-shredding the customer (issue 9) erases every copy.
 *
 * The server copies' erase operations live here too (this lib owns `fingerprint_template`;
 * compliance decides when they run). The readers' copies go through ReaderLibraryService.
 */
@Injectable()
export class TemplateVault {
  constructor(
    private readonly keys: KeyService,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  seal(customerId: string, templateId: string, template: Buffer): Promise<string> {
    return this.keys.encrypt(customerScope(customerId), template, templateAad(templateId));
  }

  open(templateId: string, ciphertext: string): Promise<Buffer> {
    return this.keys.decrypt(ciphertext, templateAad(templateId));
  }

  /** The table `deleteStoredTemplates` deletes from (PostgreSQL vacuums it afterwards). */
  tables(): string[] {
    return [this.ds.getMetadata(FingerprintTemplateEntity).tableName];
  }

  countStoredTemplates(owner: TemplateOwner): Promise<number> {
    return countTemplates(this.ds.manager, owner);
  }

  /** The stored ciphertexts (sealed, never opened here): the erasure looks for their bytes afterwards. */
  async storedCiphertexts(owner: TemplateOwner): Promise<string[]> {
    const rows = await this.ds.getRepository(FingerprintTemplateEntity).find({ where: owner, select: { id: true, templateCt: true } });
    return rows.map((r) => r.templateCt);
  }

  /** The person's enrolled fingers, metadata only (a data-subject export never carries a template). */
  async enrolledFingers(personId: string): Promise<Array<{ finger: number; model: string; format: string; quality: number; enrolledAt: number }>> {
    const rows = await this.ds
      .getRepository(FingerprintTemplateEntity)
      .find({ where: { personId }, select: { id: true, finger: true, model: true, format: true, quality: true, enrolledAt: true } });
    return rows.map((f) => ({ finger: f.finger, model: f.model, format: f.format, quality: f.quality, enrolledAt: f.enrolledAt }));
  }

  /** Deletes the server copies in the caller's transaction (idempotent). */
  async deleteStoredTemplates(m: EntityManager, owner: TemplateOwner): Promise<number> {
    return (await m.delete(FingerprintTemplateEntity, owner)).affected ?? 0;
  }
}
