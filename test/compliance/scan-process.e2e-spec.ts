import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { scanChildEntry, scanFilesInChild } from '@acs/compliance';

/**
 * The byte scan's child process (issue 15): the same counts the in-process scan gives (its unit
 * spec, scan.spec.ts, covers the matching itself), and errors or a stuck child as rejections with
 * their cause, never as a clean result. The e2e global setup built the child
 * (dist/libs/compliance/src/scan-child.js).
 */
describe('byte scan in a child process', () => {
  let dir: string;
  const needle = Buffer.from('Wilhelmina Scan-Kind');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'acs-scan-child-'));
    // Three hits in the "database", one across where an 8 MB chunk would end, none in the "wal".
    const db = Buffer.alloc(9 << 20);
    needle.copy(db, 100);
    needle.copy(db, (8 << 20) - 7);
    needle.copy(db, db.length - needle.length);
    writeFileSync(join(dir, 'db'), db);
    writeFileSync(join(dir, 'wal'), Buffer.from('nothing of interest here'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts what the scan counts, per file, a missing file as empty', async () => {
    const files = [
      { label: 'db', path: join(dir, 'db') },
      { label: 'wal', path: join(dir, 'wal') },
      { label: 'shm', path: join(dir, 'absent') },
    ];
    await expect(scanFilesInChild(files, [needle, Buffer.from('not there at all')])).resolves.toEqual([
      { file: 'db', bytes: 9 << 20, hits: 3 },
      { file: 'wal', bytes: 24, hits: 0 },
      { file: 'shm', bytes: 0, hits: 0 },
    ]);
    expect(scanChildEntry()).toMatch(/dist\/libs\/compliance\/src\/scan-child\.js$/);
  });

  it('a file it cannot read rejects with the cause, not a silent clean result', async () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    await expect(scanFilesInChild([{ label: 'db', path: folder }], [needle])).rejects.toThrow(/the scan process failed: Error: EISDIR/);
  });

  it('a child that runs past the deadline is killed and the scan rejects', async () => {
    const big = join(dir, 'big');
    writeFileSync(big, Buffer.alloc(64 << 20, 0x41));
    await expect(scanFilesInChild([{ label: 'db', path: big }], [Buffer.from('AAAB')], { timeoutMs: 1 })).rejects.toThrow(
      /ended without an answer \(SIGKILL\)/,
    );
  });
});
