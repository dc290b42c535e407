import { describe, expect, it } from '@jest/globals';
import { DEFAULT_SERVICE_START, instant, snapshotBuilder } from '@acs/access-rules/testing';

describe('snapshotBuilder', () => {
  it('fills harmless defaults and takes the door site from its zone', () => {
    const snapshot = snapshotBuilder()
      .customer('acme')
      .person('alice', 'acme')
      .zone('cage', { siteId: 'ams-2' })
      .door('d1', 'cage')
      .grant('g', { accessLevelId: 'l', customerId: 'acme' })
      .build();
    expect(snapshot.customers.get('acme')).toEqual({
      id: 'acme',
      serviceStart: DEFAULT_SERVICE_START,
      serviceEnd: null,
      purgedAt: null,
    });
    expect(snapshot.persons.get('alice')).toMatchObject({ customerId: 'acme', status: 'active', validFrom: null, validUntil: null });
    expect(snapshot.doors.get('d1')).toEqual({ id: 'd1', zoneId: 'cage', siteId: 'ams-2' });
    expect(snapshot.grants).toEqual([{ id: 'g', accessLevelId: 'l', customerId: 'acme', personId: null, validFrom: null, validUntil: null }]);
  });

  it('builds snapshots detached from the builder and from clones', () => {
    const builder = snapshotBuilder().customer('acme').person('alice', 'acme');
    const first = builder.build();
    const variant = builder.clone().patch('persons', 'alice', { status: 'suspended' });
    builder.patch('persons', 'alice', { status: 'restricted' });
    expect(first.persons.get('alice')!.status).toBe('active');
    expect(variant.build().persons.get('alice')!.status).toBe('suspended');
    expect(builder.build().persons.get('alice')!.status).toBe('restricted');
  });

  it('refuses to patch or remove what is not there', () => {
    expect(() => snapshotBuilder().patch('persons', 'ghost', { status: 'active' })).toThrow('no persons entry "ghost"');
    expect(() => snapshotBuilder().remove('doors', 'ghost')).toThrow('no doors entry "ghost"');
  });

  it('instant() insists on an explicit offset', () => {
    expect(instant('2026-03-29T01:00:00Z')).toBe(instant('2026-03-29T03:00:00+02:00'));
    expect(() => instant('2026-03-29T01:00:00')).toThrow('explicit offset');
  });
});
