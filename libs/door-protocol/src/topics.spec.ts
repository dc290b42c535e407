import { describe, expect, it } from '@jest/globals';
import { commandTopic, eventTopic, isOwnReplyTopic, isValidControllerId, parseTopic, replyTopic, SERVER_SUBSCRIPTIONS, topicMatches } from './topics.js';

describe('topic tree', () => {
  it('builds versioned per-controller topics', () => {
    expect(commandTopic('dc1-ctl-7')).toBe('acs/v1/dc1-ctl-7/cmd');
    expect(eventTopic('dc1-ctl-7')).toBe('acs/v1/dc1-ctl-7/event');
    expect(replyTopic('dc1-ctl-7', 'srv-a')).toBe('acs/v1/dc1-ctl-7/reply/srv-a');
  });

  it.each(['a/b', '+', '#', 'x+y', 'door#1', '$SYS', '', 'with space', 'line\nbreak', 'pct%u', 'col:on', 'a'.repeat(65), '-lead'])(
    'rejects the controller id %j',
    (id) => {
      expect(isValidControllerId(id)).toBe(false);
      expect(() => commandTopic(id)).toThrow(RangeError);
    },
  );

  it('parses only concrete topics of the tree', () => {
    expect(parseTopic('acs/v1/c1/event')).toEqual({ controllerId: 'c1', kind: 'event' });
    expect(parseTopic('acs/v1/c1/reply/srv')).toEqual({ controllerId: 'c1', kind: 'reply', scope: 'srv' });
    expect(parseTopic('acs/v1/c1/event/extra')).toBeNull();
    expect(parseTopic('acs/v2/c1/event')).toBeNull();
    expect(parseTopic('acs/v1/+/event')).toBeNull();
    expect(parseTopic('acs/v1/c1/bogus')).toBeNull();
  });

  it("accepts only the controller's own reply topic as replyTo", () => {
    expect(isOwnReplyTopic('c1', 'acs/v1/c1/reply')).toBe(true);
    expect(isOwnReplyTopic('c1', 'acs/v1/c1/reply/srv')).toBe(true);
    expect(isOwnReplyTopic('c1', 'acs/v1/c2/reply')).toBe(false);
    expect(isOwnReplyTopic('c1', 'acs/v1/c1/cmd')).toBe(false);
  });

  it('matches filters as MQTT does', () => {
    // [MQTT-4.7.1-2] '#' also matches the parent level
    expect(topicMatches(SERVER_SUBSCRIPTIONS.reply, 'acs/v1/c1/reply')).toBe(true);
    expect(topicMatches(SERVER_SUBSCRIPTIONS.reply, 'acs/v1/c1/reply/srv')).toBe(true);
    // [MQTT-4.7.1-3] '+' matches exactly one level
    expect(topicMatches(SERVER_SUBSCRIPTIONS.event, 'acs/v1/c1/x/event')).toBe(false);
    // [MQTT-4.7.2-1] wildcard-first filters do not match '$' topics
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
    expect(topicMatches('a/b', 'a/b/c')).toBe(false);
  });
});
