import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { MIN_NEEDLE_BYTES, type FileScan } from './scan-paths.js';

// Opens and closes the files it scans: load this module only in the scan child process
// (scan-child.ts), never in a process that has the database open (libs/database/src/fs-descriptors.spec.ts checks it).

/**
 * Counts occurrences of any needle in each file, streaming in chunks with an overlap so a value
 * across a chunk edge is found. Candidates are looked up by their first four bytes, so the cost
 * is one pass over the bytes whatever the number of values (a customer has hundreds of names).
 */
export function scanFiles(files: Array<{ label: string; path: string }>, needles: readonly Buffer[], chunkBytes = 8 << 20): FileScan[] {
  const run = scanner(files, needles, chunkBytes);
  for (;;) {
    const step = run.next();
    if (step.done) return step.value;
  }
}

/**
 * The same scan, giving the event loop back after every chunk (each chunk of 4 MB is some 15-20 ms
 * of work): the scan process notices at once that the server went away and stops.
 */
export async function scanFilesAsync(files: Array<{ label: string; path: string }>, needles: readonly Buffer[], chunkBytes = 4 << 20): Promise<FileScan[]> {
  const run = scanner(files, needles, chunkBytes);
  for (;;) {
    const step = run.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function* scanner(files: Array<{ label: string; path: string }>, needles: readonly Buffer[], chunkBytes: number): Generator<void, FileScan[]> {
  const byPrefix = new Map<number, Buffer[]>();
  // A table of the needles' first two bytes rejects most positions (zeroed free pages above all)
  // before the map is consulted.
  const pairs = new Uint8Array(65536);
  let longest = 0;
  for (const n of needles) {
    if (n.length < MIN_NEEDLE_BYTES) continue;
    pairs[n[0] | (n[1] << 8)] = 1;
    const k = n.readUInt32LE(0);
    const list = byPrefix.get(k);
    if (list) list.push(n);
    else byPrefix.set(k, [n]);
    longest = Math.max(longest, n.length);
  }
  const results: FileScan[] = [];
  for (const { label, path } of files) {
    if (!existsSync(path)) {
      results.push({ file: label, bytes: 0, hits: 0 });
      continue;
    }
    const size = statSync(path).size;
    let hits = 0;
    if (byPrefix.size > 0 && size > 0) {
      const fd = openSync(path, 'r');
      try {
        const overlap = Math.max(0, longest - 1);
        const buf = Buffer.allocUnsafe(chunkBytes + overlap);
        let carry = 0;
        let pos = 0;
        for (;;) {
          const read = readSync(fd, buf, carry, chunkBytes, pos);
          pos += read;
          const end = carry + read;
          const last = read === 0 || pos >= size;
          // Matches starting in the tail are counted in the next round, where they are whole.
          const limit = last ? end : Math.max(0, end - overlap);
          hits += countIn(buf, end, limit, pairs, byPrefix);
          if (last) break;
          yield;
          buf.copy(buf, 0, limit, end);
          carry = end - limit;
        }
      } finally {
        closeSync(fd);
      }
    }
    results.push({ file: label, bytes: size, hits });
  }
  return results;
}

function countIn(buf: Buffer, end: number, limit: number, pairs: Uint8Array, byPrefix: Map<number, Buffer[]>): number {
  let hits = 0;
  const stop = Math.min(limit, end - MIN_NEEDLE_BYTES + 1);
  // Zeroed free pages (secure_delete) are most of a purged file: no needle starts with two zero
  // bytes (MIN_NEEDLE_BYTES keeps them out of the pair table), so eight zero bytes in a row rule
  // out the four positions of the first word at once.
  const words = buf.byteOffset % 4 === 0 ? new Int32Array(buf.buffer, buf.byteOffset, end >> 2) : null;
  const zeroPairs = pairs[0] === 0;
  for (let i = 0; i < stop; i++) {
    if (words && zeroPairs && (i & 3) === 0) {
      let j = i >> 2;
      while (j + 1 < words.length && words[j] === 0 && words[j + 1] === 0) j++;
      if (j << 2 > i) {
        i = (j << 2) - 1;
        continue;
      }
    }
    if (pairs[buf[i] | (buf[i + 1] << 8)] === 0) continue;
    const list = byPrefix.get((buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) >>> 0);
    if (!list) continue;
    for (const n of list) {
      if (i + n.length <= end && buf.compare(n, 0, n.length, i, i + n.length) === 0) hits++;
    }
  }
  return hits;
}
