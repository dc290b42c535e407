import { Injectable } from '@nestjs/common';
import { KeyService } from '@acs/crypto';
import { customerScope } from '@acs/registry';

/** Associated data binding a template ciphertext to its row: a ciphertext moved to another row does not decrypt. */
export const templateAad = (templateId: string): string => `template:${templateId}:data`;

/**
 * Templates at rest: encrypted under the customer's data key (BioStar also encrypts templates on
 * the server: docs/privacy-and-regulation.md §What a market-leading product does), so
 * crypto-shredding the customer (issue 9) erases every copy.
 */
@Injectable()
export class TemplateVault {
  constructor(private readonly keys: KeyService) {}

  seal(customerId: string, templateId: string, template: Buffer): Promise<string> {
    return this.keys.encrypt(customerScope(customerId), template, templateAad(templateId));
  }

  open(templateId: string, ciphertext: string): Promise<Buffer> {
    return this.keys.decrypt(ciphertext, templateAad(templateId));
  }
}
