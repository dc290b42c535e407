import { describe, expect, it } from '@jest/globals';
import { mqttIdReservedBy } from './mqtt-id.js';

describe('mqttIdReservedBy', () => {
  it.each([
    ['acs-server', 'acs-server', 'server-account'],
    ['acs-server-ams1-a', 'acs-server', 'server-account'],
    ['acs-serverx', 'acs-server', 'server-account'],
    ['door-ctl-1', 'acs-server', undefined],
    ['my-acs-server', 'acs-server', undefined],
    ['acs-server', 'colo-srv', undefined],
    ['colo-srv-b', 'colo-srv', 'server-account'],
  ])('%s with server username %s -> %s', (id, server, expected) => {
    expect(mqttIdReservedBy(id, server)).toBe(expected);
  });
});
