import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** What survives a power cycle on the module: its flash. */
export interface FlashImage {
  address: number;
  password: number;
  securityLevel: number;
  packetSizeCode: number;
  baudN: number;
  /** 16 pages × 32 bytes (docs/r503-protocol.md §Notepad). */
  notepad: Buffer[];
  templates: Map<number, { template: Buffer; finger?: string }>;
}

interface FlashFile {
  version: 1;
  address: string;
  password: string;
  securityLevel: number;
  packetSizeCode: number;
  baudN: number;
  notepad: string[];
  templates: Record<string, { template: string; finger?: string }>;
}

export function blankFlash(): FlashImage {
  return {
    address: 0xffffffff,
    password: 0,
    securityLevel: 3,
    // The ZFM datasheet gives 128 as the factory packet size (docs/r503-protocol.md §Data packets and template size).
    packetSizeCode: 2,
    baudN: 6,
    notepad: Array.from({ length: 16 }, () => Buffer.alloc(32)),
    templates: new Map(),
  };
}

/**
 * The library persisted to a JSON file. Writes go to a temp file and are renamed into place so a
 * crash mid-write leaves the previous flash image, not a torn one. Without a path it is RAM only.
 */
export class FlashStore {
  constructor(private readonly path?: string) {}

  load(): FlashImage {
    if (!this.path || !existsSync(this.path)) return blankFlash();
    const file = JSON.parse(readFileSync(this.path, 'utf8')) as FlashFile;
    if (file.version !== 1) throw new Error(`${this.path}: unknown flash image version ${String(file.version)}`);
    const image = blankFlash();
    image.address = parseInt(file.address, 16) >>> 0;
    image.password = parseInt(file.password, 16) >>> 0;
    image.securityLevel = file.securityLevel;
    image.packetSizeCode = file.packetSizeCode;
    image.baudN = file.baudN;
    file.notepad.forEach((hex, i) => (image.notepad[i] = Buffer.from(hex, 'hex')));
    for (const [id, t] of Object.entries(file.templates)) {
      image.templates.set(Number(id), { template: Buffer.from(t.template, 'base64'), finger: t.finger });
    }
    return image;
  }

  save(image: FlashImage): void {
    if (!this.path) return;
    const file: FlashFile = {
      version: 1,
      address: image.address.toString(16).padStart(8, '0'),
      password: image.password.toString(16).padStart(8, '0'),
      securityLevel: image.securityLevel,
      packetSizeCode: image.packetSizeCode,
      baudN: image.baudN,
      notepad: image.notepad.map((p) => p.toString('hex')),
      templates: Object.fromEntries(
        [...image.templates.entries()].sort(([a], [b]) => a - b).map(([id, t]) => [String(id), { template: t.template.toString('base64'), finger: t.finger }]),
      ),
    };
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(file, null, 1));
    renameSync(tmp, this.path);
  }
}
