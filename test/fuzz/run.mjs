// npm run fuzz: the fuzzers in test/fuzz with a random seed (unless FUZZ_SEED is set) and a
// twenty-fold budget. The seed is printed first so a failure can be replayed.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

const seed = process.env.FUZZ_SEED || String(randomInt(1, 2 ** 31 - 1));
console.log(`fuzz seed: ${seed} (replay with FUZZ_SEED=${seed} npm run fuzz)`);
const res = spawnSync('npx', ['jest', '--selectProjects', 'e2e', '--runInBand', 'test/fuzz', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_SEED: seed, FUZZ_LONG: '1', NODE_OPTIONS: '--experimental-vm-modules' },
});
console.log(`fuzz seed: ${seed}`);
process.exit(res.status ?? 1);
