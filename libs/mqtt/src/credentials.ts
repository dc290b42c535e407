import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { assertValidControllerId, isValidControllerId } from '@acs/door-protocol';

/** Who a broker connection belongs to; the ACL is decided from this, never from the client id alone. */
export type MqttPrincipal = { kind: 'server'; username: string } | { kind: 'controller'; controllerId: string };

/**
 * Broker authentication seam. The device registry implements it later (hashed passwords in the
 * database); {@link InMemoryCredentialProvider} serves tests and single-box setups.
 */
export interface BrokerCredentialProvider {
  /** Resolves the principal for valid credentials and `null` otherwise. */
  authenticate(username: string, password: Buffer): Promise<MqttPrincipal | null>;
}

interface Entry {
  principal: MqttPrincipal;
  salt: Buffer;
  digest: Buffer;
}

function digest(salt: Buffer, password: Buffer | string): Buffer {
  return createHmac('sha256', salt).update(password).digest();
}

export class InMemoryCredentialProvider implements BrokerCredentialProvider {
  private readonly entries = new Map<string, Entry>();
  /** Compared against when the username is unknown, so unknown and known users cost the same. */
  private readonly decoy: Entry = { principal: { kind: 'server', username: '' }, salt: randomBytes(16), digest: randomBytes(32) };

  addServer(username: string, password: string): this {
    if (!isValidControllerId(username)) throw new RangeError(`invalid server username ${JSON.stringify(username)}`);
    return this.put(username, { kind: 'server', username }, password);
  }

  addController(controllerId: string, password: string): this {
    assertValidControllerId(controllerId);
    return this.put(controllerId, { kind: 'controller', controllerId }, password);
  }

  remove(username: string): void {
    this.entries.delete(username);
  }

  authenticate(username: string, password: Buffer): Promise<MqttPrincipal | null> {
    const entry = this.entries.get(username);
    const ref = entry ?? this.decoy;
    const ok = timingSafeEqual(digest(ref.salt, password), ref.digest);
    return Promise.resolve(ok && entry ? entry.principal : null);
  }

  private put(username: string, principal: MqttPrincipal, password: string): this {
    if (password.length < 12) throw new RangeError('MQTT passwords must be at least 12 characters');
    const salt = randomBytes(16);
    this.entries.set(username, { principal, salt, digest: digest(salt, password) });
    return this;
  }
}

/**
 * Controller HMAC secrets (hardware/door-protocol/README.md §Envelope and signing). The registry implements
 * this later; keep secrets out of logs and out of the broker's credential store.
 */
export interface ControllerSecretProvider {
  /** The controller's secret, or `null` for an unknown controller. */
  getSecret(controllerId: string): Promise<Buffer | null>;
  /**
   * Whether this server instance handles the controller's events (several servers on one
   * broker). A server that does not own a controller keeps its door state for display but
   * neither records nor acknowledges its events, so the owner (or, after a crash, its restart)
   * still receives every one of them. Absent: every controller is ours.
   */
  owns?(controllerId: string): Promise<boolean>;
  /**
   * For a controller that fails over between instances: the fencing token of this instance's
   * lease on it, `false` when another instance serves it now. `null` for a controller that stays
   * with its host (no fence). Absent: no controller fails over.
   *
   * `staff`: for a staff command (lock, a door mode), which any instance may send without a fence.
   * The token is then left out (`null`) while this instance keeps the controller only through a
   * database outage: another instance may have taken it over meanwhile, and a lockdown must not
   * be refused as `fenced` (docs/failover.md, "Failover devices during a database outage").
   */
  fenceFor?(controllerId: string, purpose?: 'serve' | 'staff'): Promise<number | null | false>;
}

export class InMemoryControllerSecretProvider implements ControllerSecretProvider {
  private readonly secrets = new Map<string, Buffer>();

  set(controllerId: string, secret: Buffer | string): this {
    assertValidControllerId(controllerId);
    const buf = typeof secret === 'string' ? Buffer.from(secret, 'hex') : Buffer.from(secret);
    if (buf.length < 16) throw new RangeError('controller secrets must be at least 16 bytes');
    this.secrets.set(controllerId, buf);
    return this;
  }

  delete(controllerId: string): void {
    this.secrets.delete(controllerId);
  }

  getSecret(controllerId: string): Promise<Buffer | null> {
    return Promise.resolve(this.secrets.get(controllerId) ?? null);
  }
}
