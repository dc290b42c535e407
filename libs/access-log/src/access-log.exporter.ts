import { Readable, pipeline } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { stringify } from 'csv-stringify';
import { AccessLogService, type AccessEventFilter } from './access-log.service.js';
import { LocalTimeFormatter, LocalTimeFormatters } from './local-time.js';
import type { AccessEvent } from './model.js';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Columns of an export, in order. Identifiers only: names stay in the registry. */
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
] as const;

export type ExportRecord = Record<(typeof EXPORT_COLUMNS)[number], string | number | null>;

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

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Spreadsheet formula injection (OWASP "CSV injection"): a cell starting with = + - @ tab or CR
 * may be run as a formula by Excel or LibreOffice. Prefixing a quote makes it text.
 */
export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
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
    const pageSize = opts.pageSize ?? 1000;
    const log = this.log;
    const defaultZone = log.defaultTimeZone;
    const toRecord = (e: AccessEvent): ExportRecord => {
      const f = fixed ?? formatters.get(zones.get(e.siteId) ?? defaultZone);
      return {
        occurred_at: f.format(e.occurredAt),
        time_zone: f.timeZone,
        recorded_at: f.format(e.recordedAt),
        result: e.result,
        reason: e.reason,
        kind: e.kind,
        direction: e.direction,
        customer_id: e.customerId,
        person_id: e.personId,
        site_id: e.siteId,
        zone_id: e.zoneId,
        door_id: e.doorId,
        reader_id: e.readerId,
        event_id: e.id,
        attempt_id: e.attemptId,
        seq: e.seq,
        hash: e.hash,
      };
    };
    async function* pages(): AsyncGenerator<ExportRecord[]> {
      let written = 0;
      for await (const page of log.scan(filter, pageSize)) {
        yield page.map(toRecord);
        written += page.length;
        opts.onProgress?.(written, total);
      }
    }

    if (opts.format === 'jsonl') {
      const source = Readable.from(
        (async function* () {
          for await (const records of pages()) yield records.map((r) => JSON.stringify(r)).join('\n') + '\n';
        })(),
      );
      return { total, contentType: 'application/x-ndjson; charset=utf-8', fileExtension: 'jsonl', stream: source };
    }

    const source = Readable.from(
      (async function* () {
        for await (const records of pages()) {
          for (const r of records) yield EXPORT_COLUMNS.map((c) => (typeof r[c] === 'string' ? neutraliseFormula(r[c]) : r[c]));
        }
      })(),
    );
    const csv = stringify({ header: true, columns: [...EXPORT_COLUMNS], record_delimiter: 'windows' });
    pipeline(source, csv, (err) => {
      if (err) this.logger.error({ err }, 'access history export failed');
    });
    return { total, contentType: 'text/csv; charset=utf-8', fileExtension: 'csv', stream: csv };
  }
}
