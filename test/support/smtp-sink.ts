import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  messageId: string;
  to: string[];
  from: string;
  subject: string;
  text: string;
  autoSubmitted: string | undefined;
  raw: string;
}

/**
 * A real SMTP server for the tests (the `smtp-server` package, same author as nodemailer), on
 * loopback, that keeps what it receives, parsed with mailparser. It can be stopped and started
 * again on the same port (an outage), and refuse chosen recipients with 550 (RFC 5321 §4.2.2:
 * mailbox unavailable, a permanent failure).
 */
export class SmtpSink {
  readonly mails: ReceivedMail[] = [];
  readonly refused = new Set<string>();
  private server?: SMTPServer;
  port = 0;

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, cb) => {
        if (this.refused.has(address.address)) {
          const err = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
          cb(err);
          return;
        }
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          void simpleParser(raw).then((m) => {
            this.mails.push({
              messageId: m.messageId ?? '',
              to: session.envelope.rcptTo.map((r) => r.address),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              subject: m.subject ?? '',
              text: m.text ?? '',
              autoSubmitted: m.headers.get('auto-submitted') as string | undefined,
              raw,
            });
            cb();
          }, cb);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): ReceivedMail[] {
    return this.mails.filter((m) => m.to.includes(address));
  }
}
