import * as realFs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, jest } from '@jest/globals';

/**
 * A crash between writing the new ring and giving it the file's name must leave the old ring whole
 * (every data key is wrapped with one of its keys). node:fs is replaced by a pass-through whose
 * rename and link can be made to fail, which is where a power cut or a full disk would stop the
 * write; the module under test is imported after the mock so it sees it.
 */
let failAt: 'renameSync' | 'linkSync' | 'writeSync' | null = null;
/** Makes the next start see no file, as a process that checked just before another created it. */
let hideFile = false;
const fail = (name: string) => {
  if (failAt === name) throw Object.assign(new Error(`injected failure in ${name}`), { code: 'EIO' });
};
jest.unstable_mockModule('node:fs', () => ({
  ...realFs,
  default: realFs,
  existsSync: (p: realFs.PathLike) => !hideFile && realFs.existsSync(p),
  renameSync: (...a: Parameters<typeof realFs.renameSync>) => (fail('renameSync'), realFs.renameSync(...a)),
  linkSync: (...a: Parameters<typeof realFs.linkSync>) => (fail('linkSync'), realFs.linkSync(...a)),
  writeSync: (...a: Parameters<typeof realFs.writeSync>) => (fail('writeSync'), realFs.writeSync(...(a as [number, string]))),
}));
const { MasterKeyRing } = await import('./master-key-ring.js');

describe('MasterKeyRing key file', () => {
  const root = mkdtempSync(join(tmpdir(), 'acs-master-key-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  let cases = 0;
  let dir: string;
  let file: string;
  const ids = () => `mk-${++n}`;
  beforeEach(() => {
    failAt = null;
    hideFile = false;
    dir = join(root, `case-${++cases}`);
    file = join(dir, 'master-key.json');
  });

  it('creates the file with mode 0600 and nothing beside it', () => {
    MasterKeyRing.fromFile(file, ids);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['master-key.json']);
  });

  it.each(['renameSync', 'writeSync'] as const)('keeps the old ring whole and 0600 when a rotation fails in %s', (step) => {
    const ring = MasterKeyRing.fromFile(file, ids);
    const before = readFileSync(file, 'utf8');
    failAt = step;
    expect(() => ring.addCurrent('mk-new')).toThrow(/injected failure/);
    failAt = null;
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['master-key.json']);
    expect(MasterKeyRing.fromFile(file, ids).ids).toEqual(ring.ids.filter((id) => id !== 'mk-new'));
  });

  it.each(['linkSync', 'writeSync'] as const)('leaves no file at all when the first write fails in %s, so the next start creates a whole one', (step) => {
    failAt = step;
    expect(() => MasterKeyRing.fromFile(file, ids)).toThrow(/injected failure/);
    failAt = null;
    expect(readdirSync(dir)).toEqual([]);
    const ring = MasterKeyRing.fromFile(file, ids);
    expect(ring.ids).toHaveLength(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('persists a rotation whole, 0600, and readable by a fresh load', () => {
    const ring = MasterKeyRing.fromFile(file, ids);
    ring.addCurrent('mk-rotated');
    const reloaded = MasterKeyRing.fromFile(file, ids);
    expect(reloaded.current.id).toBe('mk-rotated');
    expect(reloaded.current.key.equals(ring.current.key)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['master-key.json']);
  });

  it('uses the file another process created first instead of replacing it', () => {
    const first = MasterKeyRing.fromFile(file, ids);
    // The second start saw no file but loses the exclusive create: it must read the winner's key.
    hideFile = true;
    const second = MasterKeyRing.fromFile(file, ids);
    hideFile = false;
    expect(second.current).toEqual(first.current);
  });
});
