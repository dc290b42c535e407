import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { scanFiles, scanFilesAsync } from './scan.js';

describe('scanFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acs-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts every occurrence, including across chunk edges, once each (and the same yielding to the event loop)', async () => {
    const needle = Buffer.from('Marlies Zwanenburg');
    const other = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldY');
    const filler = Buffer.alloc(1000, 0x2e);
    // Positions chosen so some occurrences straddle a 64-byte chunk boundary.
    const content = Buffer.concat([filler.subarray(0, 55), needle, filler.subarray(0, 100), needle, other, filler.subarray(0, 7), other, needle]);
    const path = join(dir, 'f.bin');
    writeFileSync(path, content);
    for (const chunk of [64, 100, 4096]) {
      const [r] = scanFiles([{ label: 'db', path }], [needle, other], chunk);
      expect(r).toEqual({ file: 'db', bytes: content.length, hits: 5 });
      await expect(scanFilesAsync([{ label: 'db', path }], [needle, other], chunk)).resolves.toEqual([{ file: 'db', bytes: content.length, hits: 5 }]);
    }
  });

  it('finds values next to and inside long zero runs (freed pages) at every alignment', () => {
    const needle = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldY');
    for (let shift = 0; shift < 9; shift++) {
      const content = Buffer.concat([Buffer.alloc(1000 + shift), needle, Buffer.alloc(17), needle, Buffer.alloc(3), Buffer.from([0, 0x51]), Buffer.alloc(999)]);
      content.write('QU', 1000 + shift + needle.length + 17 + needle.length + 3 + 1);
      const path = join(dir, `z${shift}.bin`);
      writeFileSync(path, content);
      for (const chunk of [64, 4096]) expect(scanFiles([{ label: 'db', path }], [needle], chunk)[0].hits).toBe(2);
      // A value that starts with zeros turns the skipping off: three real occurrences (zeros before each 'Q').
      expect(scanFiles([{ label: 'db', path }], [Buffer.from([0, 0, 0, 0, 0x51])])[0].hits).toBe(3);
    }
  });

  it('reports a missing file as empty and ignores needles too short to mean anything', () => {
    const path = join(dir, 'g.bin');
    writeFileSync(path, 'abcabc');
    expect(
      scanFiles(
        [
          { label: 'wal', path: join(dir, 'none') },
          { label: 'db', path },
        ],
        [Buffer.from('abc')],
      ),
    ).toEqual([
      { file: 'wal', bytes: 0, hits: 0 },
      { file: 'db', bytes: 6, hits: 0 },
    ]);
  });
});
