import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { doorsFirst } from '@acs/clock';
import { stringify } from 'csv-stringify/sync';
import { AccessLogService, type AccessEventFilter, type RawRow } from './access-log.service.js';
import { LocalTimeFormatter, LocalTimeFormatters } from './local-time.js';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Columns of an export, in order. Identifiers only: names stay in the registry. A new column is
 * appended at the end, so consumers that read columns by position keep working.
 */
export const EXPORT_COLUMNS = [
  'occurred_at',
  'time_zone',
  'recorded_at',
  'result',
  'reason',
  'kind',
  'direction',
  'customer_id',
  'person_id',
  'site_id',
  'zone_id',
  'door_id',
  'reader_id',
  'event_id',
  'attempt_id',
  'seq',
  'hash',
  'credential',
] as const;

export type ExportRecord = Record<(typeof EXPORT_COLUMNS)[number], string | number | null>;

/**
 * Events per read of an export: each page is read and formatted in one go on the event loop, so
 * its size bounds how long an export holds badge-ins back (about 1 ms per 100 rows on a loaded
 * 2-vCPU machine); more, smaller reads cost little (the keyset read is an index seek).
 */
export const EXPORT_PAGE_SIZE = 250;

export interface ExportOptions {
  format: ExportFormat;
  /** Render times in this IANA zone; by default each event in its site's zone. */
  timeZone?: string;
  /** Events per read; each read is its own short statement. */
  pageSize?: number;
  /** Called after each page with rows written so far and the total counted at the start. */
  onProgress?: (written: number, total: number) => void;
}

export interface AccessLogExport {
  /** Matching events when the export started (events arriving during it may add a few). */
  total: number;
  contentType: string;
  fileExtension: string;
  stream: Readable;
}

// The characters csv-stringify's `escape_formulas` escapes at the start of a cell (full-width
// forms included: some spreadsheets normalise them to the ASCII operator).
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
// A cell needing neither quotes nor a formula guard: csv-stringify would emit it unchanged.
const PLAIN_CELL = /^(?![=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20])[^",\r\n]*$/;
const CSV_OPTIONS = { record_delimiter: 'windows', escape_formulas: true } as const;

export type CsvCell = string | number | null;

/**
 * Spreadsheet formula injection (OWASP "CSV injection"): a cell starting with = + - @ tab or CR
 * may be run as a formula by Excel or LibreOffice. Prefixing a quote makes it text. The CSV
 * export gets this from csv-stringify's `escape_formulas`; this is the same rule for callers
 * that build cells themselves.
 */
export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * CSV lines (CRLF-terminated) for rows of cells, exactly as csv-stringify with `escape_formulas`
 * writes them. csv-stringify quotes and escapes; rows whose every cell it would leave unchanged
 * (ids, codes, timestamps: nearly all) are joined directly, which triples export throughput
 * (measured: csv-stringify was 2.7 µs of a 4 µs row). `access-log.exporter.spec.ts` checks the
 * output equals csv-stringify's on mixed rows.
 */
export function csvLines(rows: readonly CsvCell[][]): string {
  let out = '';
  for (const row of rows) {
    let plain = true;
    for (const c of row) {
      if (typeof c === 'string' && !PLAIN_CELL.test(c)) {
        plain = false;
        break;
      }
    }
    out += plain ? row.map((c) => (c === null ? '' : c)).join(',') + '\r\n' : stringify([row], CSV_OPTIONS);
  }
  return out;
}

/**
 * Streams a filtered history as CSV or JSON Lines with constant memory: keyset pages of
 * separate short reads (a single long read would pin the WAL and starve checkpoints), pulled
 * only as fast as the client reads.
 */
@Injectable()
export class AccessLogExporter {
  private readonly logger = new Logger('AccessLogExport');

  constructor(private readonly log: AccessLogService) {}

  async export(filter: AccessEventFilter, opts: ExportOptions): Promise<AccessLogExport> {
    const fixed = opts.timeZone ? new LocalTimeFormatter(opts.timeZone) : undefined;
    const total = await this.log.count(filter);
    const zones = await this.log.siteTimeZones();
    const formatters = new LocalTimeFormatters();
    const pageSize = opts.pageSize ?? EXPORT_PAGE_SIZE;
    const log = this.log;
    const defaultZone = log.defaultTimeZone;
    const zoneOf = (siteId: string) => fixed ?? formatters.get(zones.get(siteId) ?? defaultZone);
    // Straight from the database row to the record: at 100,000 rows every object per row counts.
    const toRecord = (r: RawRow): ExportRecord => {
      const f = zoneOf(String(r.site_id));
      return {
        occurred_at: f.format(Number(r.occurred_at)),
        time_zone: f.timeZone,
        recorded_at: f.format(Number(r.recorded_at)),
        result: r.result,
        reason: r.reason,
        kind: r.kind,
        direction: r.direction,
        customer_id: r.customer_id,
        person_id: r.person_id,
        site_id: r.site_id,
        zone_id: r.zone_id,
        door_id: r.door_id,
        reader_id: r.reader_id,
        event_id: r.id,
        attempt_id: r.attempt_id,
        seq: Number(r.seq),
        hash: r.hash,
        credential: r.credential,
      };
    };
    const toCells = (r: RawRow): CsvCell[] => {
      const f = zoneOf(String(r.site_id));
      return [
        f.format(Number(r.occurred_at)),
        f.timeZone,
        f.format(Number(r.recorded_at)),
        r.result,
        r.reason,
        r.kind,
        r.direction,
        r.customer_id,
        r.person_id,
        r.site_id,
        r.zone_id,
        r.door_id,
        r.reader_id,
        r.id,
        r.attempt_id,
        Number(r.seq),
        r.hash,
        r.credential,
      ];
    };
    async function* pages<T>(map: (r: RawRow) => T): AsyncGenerator<T[]> {
      let written = 0;
      for await (const rows of log.scanRows(filter, pageSize)) {
        yield rows.map(map);
        written += rows.length;
        opts.onProgress?.(written, total);
        // Each page is read and formatted synchronously (better-sqlite3), and a client that reads
        // as fast as we write never makes the socket push back: without this the whole export
        // ran in microtasks and held the event loop, which also unlocks the doors, for seconds
        // (2-4 s for 100,000 rows, `npm run bench -- badge-in-load`).
        await yieldToEventLoop();
        // And the next page waits for a badge-in in flight (loop-priority.ts in @acs/clock).
        await doorsFirst.yieldToDoors();
      }
    }

    if (opts.format === 'jsonl') {
      const source = Readable.from(
        (async function* () {
          for await (const records of pages(toRecord)) yield records.map((r) => JSON.stringify(r)).join('\n') + '\n';
        })(),
      );
      return { total, contentType: 'application/x-ndjson; charset=utf-8', fileExtension: 'jsonl', stream: source };
    }

    const header = stringify([], { ...CSV_OPTIONS, header: true, columns: [...EXPORT_COLUMNS] });
    const source = Readable.from(
      (async function* () {
        yield header;
        for await (const cells of pages(toCells)) yield csvLines(cells);
      })(),
    );
    source.on('error', (err) => this.logger.error({ err }, 'access history export failed'));
    return { total, contentType: 'text/csv; charset=utf-8', fileExtension: 'csv', stream: source };
  }
}
