import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** What survives a power cycle on one PD: its non-volatile settings (OSDP v2.2 osdp_COMSET, osdp_KEYSET). */
export interface PdPersistentState {
  address: number;
  baudRate: number;
  /** The SCBK set by osdp_KEYSET (or configured), null before there is one. */
  scbk: Buffer | null;
  installMode: boolean;
}

interface StateFile {
  version: 1;
  /** Keyed by the PD's serial number (its identity; the address can change with COMSET). */
  pds: Record<string, { address: number; baudRate: number; scbk: string | null; installMode: boolean }>;
}

/**
 * The PDs' "flash": one JSON file for the bus, like the R503 simulator's flash file. Written to a
 * temp file and renamed, so a crash leaves the previous image. The file holds keys, as a reader's
 * flash does: it is created readable by its owner only. Without a path it is RAM only.
 */
export class PdStateStore {
  private file: StateFile = { version: 1, pds: {} };

  constructor(private readonly path?: string) {
    if (path && existsSync(path)) {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
      if (parsed.version !== 1) throw new Error(`${path}: unknown PD state version ${String(parsed.version)}`);
      this.file = parsed;
    }
  }

  load(serial: string): PdPersistentState | undefined {
    const s = this.file.pds[serial];
    if (!s) return undefined;
    return { address: s.address, baudRate: s.baudRate, scbk: s.scbk === null ? null : Buffer.from(s.scbk, 'hex'), installMode: s.installMode };
  }

  save(serial: string, state: PdPersistentState): void {
    this.file.pds[serial] = {
      address: state.address,
      baudRate: state.baudRate,
      scbk: state.scbk === null ? null : state.scbk.toString('hex'),
      installMode: state.installMode,
    };
    if (!this.path) return;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.file, null, 1), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
