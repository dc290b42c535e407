import { CommanderError } from 'commander';
import { runOsdpSimulator } from './cli.js';

let simulator;
try {
  simulator = await runOsdpSimulator(process.argv.slice(2), (line) => console.log(line));
} catch (err) {
  // --help and --version end here too, already printed by commander.
  if (err instanceof CommanderError) process.exit(err.exitCode);
  console.error(`virtual-osdp: ${(err as Error).message}`);
  process.exit(2);
}

const running = simulator;
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await running.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
