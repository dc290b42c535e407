import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { staffResetPassword, type Out } from '../../apps/cli/src/commands.js';
import { bearer, createCustomer } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'violet staple orbit canyon';

function collector(): Out & { lines: string[]; values: unknown[] } {
  const lines: string[] = [];
  const values: unknown[] = [];
  return { lines, values, line: (l) => void lines.push(l), json: (v) => void values.push(v) };
}

/** `acsctl staff:reset-password`: the way back in for an operator locked out of the console. */
describe('acsctl staff:reset-password', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('prints a one-time link that sets the password, once, and audits the issue by account id', async () => {
    const created = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username: 'locked-out-op', role: 'admin' }).expect(201);
    const out = collector();
    await staffResetPassword(t.config, out, { username: 'locked-out-op', baseUrl: 'https://acs.example.net/' });
    expect(out.lines[0]).toContain(created.body.id);
    expect(out.lines.join('\n')).not.toContain('locked-out-op');
    const link = new URL(out.lines[1]);
    expect(`${link.origin}${link.pathname}`).toBe('https://acs.example.net/console/password-reset');
    const token = link.hash.slice(1);
    expect(token).toMatch(/^acsr_/);
    await t.http().post('/auth/password-reset').send({ token, newPassword: PASSWORD }).expect(200);
    expect((await t.http().post('/auth/password-reset').send({ token, newPassword: PASSWORD }).expect(400)).body.code).toBe('password.reset_invalid');
    await t.http().post('/auth/sign-in').send({ username: 'locked-out-op', password: PASSWORD }).expect(200);

    const audit = await t.http().get('/audit').query({ action: 'staff.password_reset_issue' }).set(bearer(t.adminToken)).expect(200);
    expect(audit.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ actorType: 'cli', targetId: created.body.id, outcome: 'success' })]));
    expect(JSON.stringify(audit.body)).not.toContain(token);
  });

  it('works for a customer administrator too, prints JSON, and a newer link cancels the older', async () => {
    const customer = await createCustomer(t);
    const created = await t.http().post(`/customers/${customer.id}/admins`).set(bearer(t.adminToken)).send({ username: 'cust-lead-cli' }).expect(201);
    const out = collector();
    await staffResetPassword(t.config, out, { username: 'cust-lead-cli', json: true, baseUrl: 'http://127.0.0.1:3000' });
    const printed = out.values[0] as { id: string; role: string; link: string };
    expect(printed).toMatchObject({ id: created.body.id, role: 'customer_admin' });
    const older = created.body.passwordReset.resetToken as string;
    expect((await t.http().post('/auth/password-reset').send({ token: older, newPassword: PASSWORD }).expect(400)).body.code).toBe('password.reset_invalid');
    await t
      .http()
      .post('/auth/password-reset')
      .send({ token: new URL(printed.link).hash.slice(1), newPassword: PASSWORD })
      .expect(200);
  });

  it('refuses an unknown username, a disabled account and a base URL with a path', async () => {
    await expect(staffResetPassword(t.config, collector(), { username: 'nobody-here' })).rejects.toThrow('no account has this username');
    const created = await t.http().post('/staff').set(bearer(t.adminToken)).send({ username: 'gone-op', role: 'auditor' }).expect(201);
    await t.http().post(`/staff/${created.body.id}/disable`).set(bearer(t.adminToken)).expect(200);
    await expect(staffResetPassword(t.config, collector(), { username: 'gone-op' })).rejects.toThrow('is disabled');
    await expect(staffResetPassword(t.config, collector(), { username: 'gone-op', baseUrl: 'https://acs.example.net/console' })).rejects.toThrow('--base-url');
  });
});
