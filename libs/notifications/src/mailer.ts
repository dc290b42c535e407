import { readFileSync } from 'node:fs';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { AppConfig } from '@acs/config';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** The outbox row's id: the same mail sent twice (a crash between sending and recording) carries the same Message-ID. */
  outboxId: string;
}

/**
 * The SMTP client: nodemailer (maintained, STARTTLS and implicit TLS, SMTP AUTH, pooled or not)
 * over SMTP_URL. One transport per process, created on first use; no pool, so a server that went
 * away is dialled afresh at the next round.
 */
@Injectable()
export class Mailer implements OnModuleDestroy {
  private transport?: Transporter;

  constructor(private readonly config: AppConfig) {}

  private get transporter(): Transporter {
    if (!this.transport) {
      const c = this.config;
      this.transport = nodemailer.createTransport({
        url: c.SMTP_URL,
        requireTLS: c.SMTP_REQUIRE_TLS,
        tls: { rejectUnauthorized: c.SMTP_TLS_VERIFY, ...(c.SMTP_TLS_CA_FILE ? { ca: readFileSync(c.SMTP_TLS_CA_FILE) } : {}) },
        // Short timeouts: a round holds its claimed rows meanwhile, and an unreachable server
        // should cost a retry, not minutes.
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
      } as Parameters<typeof nodemailer.createTransport>[0]);
    }
    return this.transport;
  }

  async send(mail: OutgoingMail): Promise<void> {
    const host = (() => {
      try {
        return new URL(this.config.SMTP_URL ?? '').hostname || 'acs';
      } catch {
        return 'acs';
      }
    })();
    await this.transporter.sendMail({
      from: this.config.SMTP_FROM,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      messageId: `<${mail.outboxId}@${host}>`,
      // RFC 3834 §5: machine-generated, so auto-responders stay quiet.
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
