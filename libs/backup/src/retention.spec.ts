import { describe, expect, it } from '@jest/globals';
import { backupDue, backupName, backupsToDelete, backupTime, type BackupFolder } from './retention.js';

const n = (iso: string) => backupName(new Date(iso));
const done = (iso: string): BackupFolder => ({ name: n(iso), complete: true });
const unfinished = (iso: string): BackupFolder => ({ name: n(iso), complete: false });

describe('scheduled backup retention', () => {
  it('names sort by time and carry it back', () => {
    expect(n('2026-11-26T09:00:00.123Z')).toBe('acs-backup-20261126T090000123Z');
    expect(backupTime(n('2026-11-26T09:00:00.123Z'))).toBe(Date.parse('2026-11-26T09:00:00.123Z'));
    expect(backupTime('notes')).toBeNaN();
  });

  it.each<[string, BackupFolder[], number, string[]]>([
    ['none', [], 3, []],
    ['fewer than keep', [done('2026-11-01T00:00:00Z'), done('2026-11-02T00:00:00Z')], 3, []],
    [
      'the oldest beyond keep',
      [done('2026-11-03T00:00:00Z'), done('2026-11-01T00:00:00Z'), done('2026-11-02T00:00:00Z'), done('2026-11-04T00:00:00Z')],
      2,
      [n('2026-11-01T00:00:00Z'), n('2026-11-02T00:00:00Z')],
    ],
    [
      'an unfinished one older than the newest complete one, not a newer one (it may be running)',
      [done('2026-11-02T00:00:00Z'), unfinished('2026-11-01T00:00:00Z'), unfinished('2026-11-03T00:00:00Z')],
      5,
      [n('2026-11-01T00:00:00Z')],
    ],
    ['never the newest, even with keep 0', [done('2026-11-01T00:00:00Z'), done('2026-11-02T00:00:00Z')], 0, [n('2026-11-01T00:00:00Z')]],
    [
      'never a folder named otherwise',
      [{ name: 'operator-notes', complete: false }, { name: 'acs-backup-old', complete: true }, done('2026-11-02T00:00:00Z')],
      1,
      [],
    ],
  ])('deletes %s', (_label, folders, keep, expected) => {
    expect(backupsToDelete(folders, keep)).toEqual(expected);
  });

  it.each<[string, BackupFolder[], string, boolean]>([
    ['no backup yet', [], '2026-11-02T00:00:00Z', true],
    ['only an unfinished one', [unfinished('2026-11-01T23:00:00Z')], '2026-11-02T00:00:00Z', true],
    ['the newest is younger than the interval', [done('2026-11-01T00:00:01Z')], '2026-11-02T00:00:00Z', false],
    ['the newest is exactly one interval old', [done('2026-11-01T00:00:00Z')], '2026-11-02T00:00:00Z', true],
  ])('is due with %s: %s', (_label, folders, now, due) => {
    expect(backupDue(folders, Date.parse(now), 86_400_000)).toBe(due);
  });
});
