import { describe, expect, it } from '@jest/globals';
import { stringify } from 'csv-stringify/sync';
import { AccessLogExporter, csvLines, type CsvCell, neutraliseFormula } from './access-log.exporter.js';
import type { AccessLogService } from './access-log.service.js';

const reference = (rows: CsvCell[][]) => stringify(rows, { record_delimiter: 'windows', escape_formulas: true });

describe(csvLines.name, () => {
  it('writes exactly what csv-stringify writes, for plain and awkward cells alike', () => {
    const awkward = ['a,b', 'say "hi"', 'two\nlines', 'cr\rhere', '=1+1', '+31 20', '-2-3', '@SUM(A1)', '\tx', '\uFF1Dcmd', "'quoted", '', ' lead', 'ünïcode'];
    const rows: CsvCell[][] = [
      ['2026-11-26T10:00:00.000+01:00', 'Europe/Amsterdam', 'granted', null, 42, '0193a000-0000-7000-8000-000000000001'],
      ...awkward.map((a, i): CsvCell[] => ['plain', a, i, null, -i]),
      [null, null, '', 0, 'x'],
    ];
    expect(csvLines(rows)).toBe(reference(rows));
  });

  it('matches csv-stringify on random rows', () => {
    const alphabet = ['a', '0', ',', '"', '\n', '\r', '=', '+', '-', '@', '\t', ' ', "'", '\uFF20', 'é'];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows: CsvCell[][] = Array.from({ length: 500 }, () =>
      Array.from({ length: 5 }, () => {
        const r = rnd();
        if (r < 0.1) return null;
        if (r < 0.2) return Math.floor(rnd() * 200) - 100;
        return Array.from({ length: Math.floor(rnd() * 6) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      }),
    );
    expect(csvLines(rows)).toBe(reference(rows));
  });

  it('neutralises formula starts, full-width forms included, and leaves other text alone', () => {
    for (const v of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '\uFF1D1', '\uFF0B1', '\uFF0D1', '\uFF201']) expect(neutraliseFormula(v)).toBe(`'${v}`);
    for (const v of ['0193a000-x', 'granted', '', "'already"]) expect(neutraliseFormula(v)).toBe(v);
    expect(csvLines([['=HYPERLINK("http://x")']])).toBe(`"'=HYPERLINK(""http://x"")"\r\n`);
  });
});

describe(AccessLogExporter.name, () => {
  // A history whose reads answer at once, as better-sqlite3's do: nothing else would make the export wait.
  const fakeLog = (pages: number, perPage: number) =>
    ({
      count: async () => pages * perPage,
      siteTimeZones: async () => new Map([['s1', 'Europe/Amsterdam']]),
      defaultTimeZone: 'UTC',
      async *scanRows() {
        for (let p = 0; p < pages; p++) {
          yield Array.from({ length: perPage }, (_, i) => ({
            id: `e${p}-${i}`,
            site_id: 's1',
            occurred_at: 0,
            recorded_at: 0,
            result: 'granted',
            reason: 'granted',
            kind: 'attempt',
            direction: 'entry',
            customer_id: 'c1',
            person_id: null,
            zone_id: null,
            door_id: null,
            reader_id: null,
            attempt_id: `e${p}-${i}`,
            seq: p * perPage + i + 1,
            hash: 'h',
            credential: null,
          }));
        }
      },
    }) as unknown as AccessLogService;

  it('lets the event loop run between pages, however fast the client reads', async () => {
    const out = await new AccessLogExporter(fakeLog(20, 10)).export({}, { format: 'csv' });
    let pagesBeforeTurn = -1;
    let pages = 0;
    setImmediate(() => (pagesBeforeTurn = pages));
    for await (const chunk of out.stream) if (String(chunk).includes(',granted,granted,')) pages++;
    expect(pages).toBe(20);
    // Before the fix the whole export ran in microtasks: the timer fired only after the last page.
    expect(pagesBeforeTurn).toBeGreaterThanOrEqual(0);
    expect(pagesBeforeTurn).toBeLessThan(3);
  });
});
