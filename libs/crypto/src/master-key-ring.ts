import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { KEY_BYTES, randomKey } from './aead.js';
import { writeFileDurably } from './durable-file.js';

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

interface KeyFile {
  version: 1;
  current: string;
  keys: Record<string, string>;
}

/**
 * The key-encryption keys. Either one key given in configuration (MASTER_KEY) or a JSON key file
 * holding the current key and any still-needed older ones, so that `keys:rotate` can re-wrap
 * data keys and then retire the old master key.
 */
export class MasterKeyRing {
  private constructor(
    private currentId: string,
    private readonly keys: Map<string, Buffer>,
    private readonly file: string | undefined,
  ) {}

  static fromBase64(base64: string): MasterKeyRing {
    const key = Buffer.from(base64, 'base64');
    if (key.length !== KEY_BYTES) throw new MasterKeyError(`MASTER_KEY must decode to ${KEY_BYTES} bytes`);
    const id = `env-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
    return new MasterKeyRing(id, new Map([[id, key]]), undefined);
  }

  /** Loads the key file, creating it (mode 0600) with a fresh key when it does not exist. */
  static fromFile(path: string, newId: () => string): MasterKeyRing {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const id = newId();
      const content: KeyFile = { version: 1, current: id, keys: { [id]: randomKey().toString('base64') } };
      // Durable and exclusive: a power cut right after start-up must not leave an empty or torn
      // file (every record encrypted in the meantime would be lost with it), and a second process
      // starting at the same moment must not replace the key the first one already uses.
      try {
        writeFileDurably(path, JSON.stringify(content, null, 2), { exclusive: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new MasterKeyError(`master key file ${path} is accessible to other users (mode ${mode.toString(8)}); run chmod 600 on it`);
    }
    let parsed: KeyFile;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
    } catch {
      throw new MasterKeyError(`master key file ${path} is not valid JSON`);
    }
    if (parsed.version !== 1 || typeof parsed.keys !== 'object' || !parsed.keys[parsed.current]) {
      throw new MasterKeyError(`master key file ${path} has no current key`);
    }
    const keys = new Map<string, Buffer>();
    for (const [id, b64] of Object.entries(parsed.keys)) {
      const key = Buffer.from(b64, 'base64');
      if (key.length !== KEY_BYTES) throw new MasterKeyError(`master key ${id} in ${path} is not ${KEY_BYTES} bytes`);
      keys.set(id, key);
    }
    return new MasterKeyRing(parsed.current, keys, path);
  }

  get current(): { id: string; key: Buffer } {
    return { id: this.currentId, key: this.keys.get(this.currentId)! };
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  get(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key) throw new MasterKeyError(`master key ${id} is not available; a data key was wrapped with it`);
    return key;
  }

  get rotatable(): boolean {
    return this.file !== undefined;
  }

  /** Adds a new current key and persists the file before anything is wrapped with it. */
  addCurrent(id: string): void {
    this.keys.set(id, randomKey());
    this.currentId = id;
    this.persist();
  }

  /** Drops keys no data key needs any more. */
  retire(ids: string[]): void {
    for (const id of ids) if (id !== this.currentId) this.keys.delete(id);
    this.persist();
  }

  private persist(): void {
    if (!this.file) throw new MasterKeyError('MASTER_KEY from configuration cannot be rotated; use a key file');
    const content: KeyFile = {
      version: 1,
      current: this.currentId,
      keys: Object.fromEntries([...this.keys].map(([id, k]) => [id, k.toString('base64')])),
    };
    // Durable replace: a power cut leaves the old ring or the new one, never none.
    writeFileDurably(this.file, JSON.stringify(content, null, 2));
  }
}
