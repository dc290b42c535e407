/**
 * The module's own processing time per command: how long the R503 works on a command after its
 * last byte arrived and before the first byte of its acknowledge goes out. The wire time on top
 * is the {@link WirePacer}'s business. Figures and their sources: docs/r503-protocol.md §Timing.
 *
 * The datasheet gives upper bounds only ("image acquiring time < 0.2 s", "generate feature point
 * time < 500 ms", "1:N < 10 ms per fingerprint"); the model takes them as the time every command
 * takes, so a run with the model on is the slowest module the datasheet allows.
 */
export interface ModuleTiming {
  /** GenImg / GetImageEx with a finger on the sensor: the image capture. */
  captureMs: number;
  /**
   * GenImg / GetImageEx with no finger: the `02` answer. The datasheet gives no figure; see
   * docs/r503-protocol.md §Timing for the assumption.
   */
  noFingerMs: number;
  /** Img2Tz (GenChar): feature extraction from the image buffer. */
  extractMs: number;
  /** One template comparison: Search costs this per stored template in the searched range, Match once. */
  comparePerTemplateMs: number;
}

/** The R503 user manual's figures (V1.2.2, specifications table), with our no-finger assumption. */
export const R503_TIMING: Readonly<ModuleTiming> = Object.freeze({
  captureMs: 200,
  noFingerMs: 10,
  extractMs: 500,
  comparePerTemplateMs: 10,
});

/** What the module did, as far as its processing time depends on it. */
export interface CommandWork {
  /** Opcode of the command (docs/r503-protocol.md §Instruction set). */
  op: number;
  /** GenImg / GetImageEx: was a finger on the sensor when the command arrived. */
  fingerPresent?: boolean;
  /** Search / HiSpeedSearch: stored templates in the searched range (the module compares against each). */
  templatesCompared?: number;
}

const GEN_IMG = 0x01;
const IMG2TZ = 0x02;
const MATCH = 0x03;
const SEARCH = 0x04;
const HI_SPEED_SEARCH = 0x1b;
const GET_IMAGE_EX = 0x28;

/**
 * Milliseconds the module spends on `work`. Commands the datasheet gives no time for (library
 * maintenance, parameters, LED) take 0 here: their cost is the wire time alone. Search is taken
 * as a full scan of the stored templates in range, the conservative reading of "per fingerprint"
 * (a module that stops at the first hit would be faster on average, never slower).
 */
export function moduleTimeMs(timing: ModuleTiming, work: CommandWork): number {
  switch (work.op) {
    case GEN_IMG:
    case GET_IMAGE_EX:
      return work.fingerPresent ? timing.captureMs : timing.noFingerMs;
    case IMG2TZ:
      return timing.extractMs;
    case MATCH:
      return timing.comparePerTemplateMs;
    case SEARCH:
    case HI_SPEED_SEARCH:
      return timing.comparePerTemplateMs * Math.max(0, work.templatesCompared ?? 0);
    default:
      return 0;
  }
}

/**
 * Module time of one identification (GenImg with a finger, Img2Tz, Search over a library of
 * `libraryTemplates`): the part of a finger-to-door floor that is the module's own.
 */
export function identificationModuleMs(timing: ModuleTiming, libraryTemplates: number): number {
  return (
    moduleTimeMs(timing, { op: GEN_IMG, fingerPresent: true }) +
    moduleTimeMs(timing, { op: IMG2TZ }) +
    moduleTimeMs(timing, { op: SEARCH, templatesCompared: libraryTemplates })
  );
}
