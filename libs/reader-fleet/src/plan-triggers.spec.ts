import { describe, expect, it } from '@jest/globals';
import type { RegistryChange, RegistryChangeKind } from '@acs/registry';
import { mayMoveTemplates } from './plan-triggers.js';

const change = (kind: RegistryChangeKind, op: RegistryChange['op'], extra: Partial<RegistryChange> = {}): RegistryChange => ({ kind, id: 'x', op, ...extra });

describe('mayMoveTemplates', () => {
  it.each<[string, RegistryChange, boolean]>([
    ['a grant created', change('grant', 'created'), true],
    ['a grant deleted', change('grant', 'deleted'), true],
    ['an access level changed (its zones and doors)', change('access_level', 'updated'), true],
    ['a door moved to another reader', change('door', 'updated'), true],
    ['a reader deleted', change('reader', 'deleted'), true],
    ['a zone deleted', change('zone', 'deleted'), true],
    ['a customer whose service ended', change('customer', 'updated'), true],
    ['a person suspended or their validity changed', change('person', 'updated'), true],
    ['a person deleted', change('person', 'deleted'), true],
    ['a person created (no grant, no finger yet)', change('person', 'created'), false],
    ['a person renamed (contact data only)', change('person', 'updated', { contactOnly: true }), false],
    ['a schedule changed (when, not whether)', change('schedule', 'updated'), false],
    ['a site renamed or its time zone changed', change('site', 'updated'), false],
    ['a controller added', change('controller', 'created'), false],
    ['an OSDP bus changed', change('osdp_bus', 'updated'), false],
    ['a card reader changed', change('card_reader', 'deleted'), false],
  ])('%s: %s', (_what, c, expected) => {
    expect(mayMoveTemplates(c)).toBe(expected);
  });
});
