import { describe, expect, it } from '@jest/globals';
import { mosquittoPasswordHash, renderMosquittoAuth } from './mosquitto-auth.js';

describe('renderMosquittoAuth', () => {
  it('hashes exactly like mosquitto_passwd 2.0 ($7$, PBKDF2-SHA512, 101 rounds)', () => {
    // `mosquitto_passwd -c -b f user1 secretpassword1` wrote this line:
    // user1:$7$101$HdCRfQaMhGu+IXaF$flMovziFt6DFCX9nBMnWfQ3Eku16ayL+heRnnQsPKRXTk0eF2Lj9tXxChPQycXi0sleyfAVZYBXJvrHvUQoTTw==
    expect(mosquittoPasswordHash('secretpassword1', Buffer.from('HdCRfQaMhGu+IXaF', 'base64'))).toBe(
      '$7$101$HdCRfQaMhGu+IXaF$flMovziFt6DFCX9nBMnWfQ3Eku16ayL+heRnnQsPKRXTk0eF2Lj9tXxChPQycXi0sleyfAVZYBXJvrHvUQoTTw==',
    );
  });

  it('writes one explicit ACL block per controller and no pattern lines', () => {
    const out = renderMosquittoAuth({
      server: { username: 'acs-server', password: 'server-password' },
      controllers: [{ controllerId: 'dc1-ctl-1', password: 'controller-password' }],
      salt: () => Buffer.alloc(12),
    });
    expect(out.passwordFile.split('\n').map((l) => l.split(':')[0])).toEqual(['acs-server', 'dc1-ctl-1', '']);
    expect(out.aclFile).not.toMatch(/^pattern/m);
    expect(out.aclFile).toContain(
      [
        'user dc1-ctl-1',
        'topic read acs/v1/dc1-ctl-1/cmd',
        'topic write acs/v1/dc1-ctl-1/reply',
        'topic write acs/v1/dc1-ctl-1/reply/+',
        'topic write acs/v1/dc1-ctl-1/event',
        'topic write acs/v1/dc1-ctl-1/state',
        'topic write acs/v1/dc1-ctl-1/status',
      ].join('\n'),
    );
    expect(out.aclFile).toContain('user acs-server\ntopic write acs/v1/+/cmd\n');
  });

  it.each(['evil\ntopic readwrite #', 'a b', '#', 'x:y'])('refuses the id %j that would inject rules', (controllerId) => {
    expect(() => renderMosquittoAuth({ server: { username: 'acs-server', password: 'p' }, controllers: [{ controllerId, password: 'p' }] })).toThrow(
      RangeError,
    );
  });

  it('takes stored $7$ hashes verbatim and refuses anything else in their place', () => {
    const hash = '$7$101$HdCRfQaMhGu+IXaF$flMovziFt6DFCX9nBMnWfQ3Eku16ayL+heRnnQsPKRXTk0eF2Lj9tXxChPQycXi0sleyfAVZYBXJvrHvUQoTTw==';
    const out = renderMosquittoAuth({ server: { username: 'acs-server', passwordHash: hash }, controllers: [{ controllerId: 'c1', passwordHash: hash }] });
    expect(out.passwordFile).toBe(`acs-server:${hash}\nc1:${hash}\n`);
    expect(() =>
      renderMosquittoAuth({
        server: { username: 'acs-server', passwordHash: hash },
        controllers: [{ controllerId: 'c1', passwordHash: `${hash}\nroot:$7$1$a$b` }],
      }),
    ).toThrow("password hash of c1 is not in Mosquitto's $7$ format");
  });

  it('refuses a controller named like the server', () => {
    expect(() =>
      renderMosquittoAuth({ server: { username: 'acs-server', password: 'p' }, controllers: [{ controllerId: 'acs-server', password: 'p' }] }),
    ).toThrow('duplicate MQTT username acs-server');
  });
});
