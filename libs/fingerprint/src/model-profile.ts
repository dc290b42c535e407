/**
 * Model-specific command maps. The family shares most opcodes, but not all: on Hi-Link/Zhiwen
 * ZW-series modules 0x35 is HandShake and 0x3C is the LED control, while on the R503 they are
 * AuraLedConfig and ReadProdInfo (docs/r503-protocol.md §Instruction set, §Model differences). The
 * driver resolves every command through the profile and refuses a command the model lacks before a
 * byte goes on the wire.
 */
export type CommandName =
  | 'GenImg'
  | 'Img2Tz'
  | 'Match'
  | 'Search'
  | 'RegModel'
  | 'Store'
  | 'LoadChar'
  | 'UpChar'
  | 'DownChar'
  | 'UpImage'
  | 'DownImage'
  | 'DeletChar'
  | 'Empty'
  | 'SetSysPara'
  | 'ReadSysPara'
  | 'SetPwd'
  | 'VfyPwd'
  | 'GetRandomCode'
  | 'SetAdder'
  | 'WriteNotepad'
  | 'ReadNotepad'
  | 'HiSpeedSearch'
  | 'TemplateNum'
  | 'ReadIndexTable'
  | 'GetImageEx'
  | 'Cancel'
  | 'AutoEnroll'
  | 'AutoIdentify'
  | 'AuraLedConfig'
  | 'CheckSensor'
  | 'ReadProdInfo'
  | 'SoftRst'
  | 'HandShake'
  | 'LedOn'
  | 'LedOff';

/** Opcodes common to the whole ZFM/R30x/R50x/AS608 family (docs/r503-protocol.md §Instruction set). */
const BASE_OPCODES = {
  GenImg: 0x01,
  Img2Tz: 0x02,
  Match: 0x03,
  Search: 0x04,
  RegModel: 0x05,
  Store: 0x06,
  LoadChar: 0x07,
  UpChar: 0x08,
  DownChar: 0x09,
  UpImage: 0x0a,
  DownImage: 0x0b,
  DeletChar: 0x0c,
  Empty: 0x0d,
  SetSysPara: 0x0e,
  ReadSysPara: 0x0f,
  SetPwd: 0x12,
  VfyPwd: 0x13,
  GetRandomCode: 0x14,
  SetAdder: 0x15,
  WriteNotepad: 0x18,
  ReadNotepad: 0x19,
  HiSpeedSearch: 0x1b,
  TemplateNum: 0x1d,
  ReadIndexTable: 0x1f,
} as const satisfies Partial<Record<CommandName, number>>;

export interface ModelProfile {
  name: string;
  opcodes: Partial<Record<CommandName, number>>;
  /** Number of character buffers usable with Img2Tz/UpChar/DownChar. */
  charBuffers: number;
  /**
   * Template size to expect when the module cannot report it. R503-class modules report it in
   * ReadProdInfo and the driver always prefers the reported value (docs/r503-protocol.md §Data
   * packets and template size).
   */
  fallbackTemplateSize: number;
}

export const R30X: ModelProfile = {
  name: 'r30x',
  // ZFM-60 adds LED on/off; harmless to list, a ZFM-20 answers an unknown opcode with an error.
  opcodes: { ...BASE_OPCODES, LedOn: 0x50, LedOff: 0x51 },
  charBuffers: 2,
  fallbackTemplateSize: 512,
};

export const R503: ModelProfile = {
  name: 'r503',
  opcodes: {
    ...BASE_OPCODES,
    GetImageEx: 0x28,
    Cancel: 0x30,
    AutoEnroll: 0x31,
    AutoIdentify: 0x32,
    AuraLedConfig: 0x35,
    CheckSensor: 0x36,
    ReadProdInfo: 0x3c,
    SoftRst: 0x3d,
    HandShake: 0x40,
  },
  charBuffers: 6,
  fallbackTemplateSize: 1536,
};

/** Hi-Link/Zhiwen ZW101/ZW111: 0x35 and 0x3C mean something else than on the R503 (docs/r503-protocol.md §Model differences). */
export const ZW: ModelProfile = {
  name: 'zw',
  opcodes: { ...BASE_OPCODES, Cancel: 0x30, AutoEnroll: 0x31, AutoIdentify: 0x32, HandShake: 0x35 },
  charBuffers: 2,
  // [unverified] ZW modules have no ReadProdInfo; set templateSize explicitly in the reader options.
  fallbackTemplateSize: 512,
};

export const MODEL_PROFILES: Readonly<Record<string, ModelProfile>> = { r30x: R30X, r503: R503, zw: ZW };

export function resolveModel(model: string | ModelProfile | undefined): ModelProfile {
  if (model === undefined) return R503;
  if (typeof model !== 'string') return model;
  const profile = MODEL_PROFILES[model.toLowerCase()];
  if (!profile) throw new TypeError(`unknown fingerprint model "${model}" (known: ${Object.keys(MODEL_PROFILES).join(', ')})`);
  return profile;
}
