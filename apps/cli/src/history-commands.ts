import { NestFactory } from '@nestjs/core';
import { AccessLogService, type AccessChainVerdict } from '@acs/access-log';
import type { AppConfig } from '@acs/config';
import { CliModule } from './cli.module.js';
import { CliError, type Out } from './out.js';
import { checkpointCheck } from './checkpoint-commands.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function describe(v: AccessChainVerdict): string {
  if (v.ok) return `${v.chainId}: intact, ${v.checked} events, head ${v.headSeq ?? '-'} ${v.headHash}`;
  const b = v.firstBreak!;
  const expected = b.reason === 'sequence-gap' ? `, expected seq ${b.expectedSeq}` : '';
  return `${v.chainId}: BROKEN at seq ${b.seq} (event ${b.id}, ${b.reason}${expected}); ${v.checked} events before it verified`;
}

/**
 * Verifies the access-history hash chains: one customer's with `--customer`, otherwise every
 * chain (customers and sites' unknown-finger chains). Returns false when any is broken.
 */
export async function historyVerify(config: AppConfig, out: Out, opts: { customer?: string; json?: boolean }): Promise<boolean> {
  if (opts.customer !== undefined && !UUID.test(opts.customer)) throw new CliError('--customer must be a customer id (UUID)');
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: ['error', 'warn'] });
  try {
    const log = app.get(AccessLogService);
    const chains = opts.customer ? [opts.customer] : await log.chainIds();
    const verdicts: AccessChainVerdict[] = [];
    for (const chainId of chains) verdicts.push(await log.verifyChain(chainId));
    // A chain whose newest events were cut still verifies: the signed checkpoint names it.
    const cp = await checkpointCheck(app, config, (chain) => chain !== 'audit' && (!opts.customer || chain === opts.customer));
    if (opts.json) out.json({ chains: verdicts, checkpoint: cp.json });
    else {
      if (verdicts.length === 0) out.line('No access history yet.');
      else for (const v of verdicts) out.line(describe(v));
      for (const l of cp.lines) out.line(l);
    }
    return verdicts.every((v) => v.ok) && cp.ok;
  } finally {
    await app.close();
  }
}
