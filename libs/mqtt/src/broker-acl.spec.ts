import { describe, expect, it } from '@jest/globals';
import { mayForward, publishDenial, subscribeDenial } from './broker-acl.js';
import type { MqttPrincipal } from './credentials.js';

const server: MqttPrincipal = { kind: 'server', username: 'acs-server' };
const c1: MqttPrincipal = { kind: 'controller', controllerId: 'c1' };

describe('broker ACL', () => {
  it.each([
    [server, 'acs/v1/c1/cmd', false, null],
    [server, 'acs/v1/c1/cmd', true, 'commands must not be retained'],
    [server, 'acs/v1/c1/event', false, 'the server publishes only commands'],
    [server, 'acs/cluster/v1/reader-ops', false, null],
    [server, 'acs/cluster/v1/reader-ops', true, 'cluster notices must not be retained'],
    [c1, 'acs/cluster/v1/reader-ops', false, 'only servers talk on the cluster topics'],
    [c1, 'acs/v1/c1/event', false, null],
    [c1, 'acs/v1/c1/reply/srv-a', false, null],
    [c1, 'acs/v1/c1/status', true, null],
    [c1, 'acs/v1/c1/state', true, null],
    [c1, 'acs/v1/c1/reply', true, 'reply messages must not be retained'],
    [c1, 'acs/v1/c1/cmd', false, 'only the server publishes commands'],
    [c1, 'acs/v1/c2/event', false, 'topic belongs to another controller'],
    [c1, 'acs/v1/c1/event/x', false, 'topic is outside the acs/v1 tree'],
    [c1, '$SYS/x', false, '$-topics are reserved'],
  ])('publish by %j to %s (retain %s) -> %j', (principal, topic, retain, expected) => {
    expect(publishDenial(principal, topic, retain)).toBe(expected);
  });

  it.each([
    [c1, 'acs/v1/c1/cmd', null],
    [c1, 'acs/v1/+/cmd', 'a controller subscribes only to its own command topic'],
    [c1, 'acs/v1/c1/#', 'a controller subscribes only to its own command topic'],
    [server, 'acs/v1/+/event', null],
    [server, 'acs/cluster/v1/#', null],
    [c1, 'acs/cluster/v1/#', 'a controller subscribes only to its own command topic'],
    [server, '#', 'filter is outside the acs/v1 tree'],
    [server, '$SYS/#', 'filter is outside the acs/v1 tree'],
  ])('subscribe by %j to %s -> %j', (principal, filter, expected) => {
    expect(subscribeDenial(principal, filter)).toBe(expected);
  });

  it('forwards to a controller only its own commands', () => {
    expect(mayForward(c1, 'acs/v1/c1/cmd')).toBe(true);
    expect(mayForward(c1, 'acs/v1/c2/cmd')).toBe(false);
    expect(mayForward(server, 'acs/v1/c2/event')).toBe(true);
  });
});
