import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { writeFileDurably } from './durable-file.js';

describe('writeFileDurably', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acs-durable-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file whole, with mode 0600, and leaves no temporary file', () => {
    const path = join(dir, 'ring.json');
    writeFileSync(path, 'old', { mode: 0o644 });
    writeFileDurably(path, '{"new":true}');
    expect(readFileSync(path, 'utf8')).toBe('{"new":true}');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['ring.json']);
  });

  it('creates exclusively: refuses an existing file and leaves it and the folder as they were', () => {
    const path = join(dir, 'exclusive.json');
    writeFileDurably(path, 'first', { exclusive: true });
    expect(() => writeFileDurably(path, 'second', { exclusive: true })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(path, 'utf8')).toBe('first');
    expect(readdirSync(dir).filter((f) => f.includes('exclusive'))).toEqual(['exclusive.json']);
  });

  it('leaves the old file alone when the folder cannot take the new one', () => {
    expect(() => writeFileDurably(join(dir, 'missing', 'ring.json'), 'x')).toThrow(/ENOENT/);
  });
});
