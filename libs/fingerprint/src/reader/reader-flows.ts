import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '@acs/clock';
import { ConfirmationCode } from '../confirmation-code.js';
import { FingerprintError, FingerprintErrorCode } from '../fingerprint.errors.js';
import type { ModelProfile } from '../model-profile.js';
import type { ReaderInfo, SearchMatch } from './reader.types.js';

/**
 * The commands the flows are made of. The flows (docs/r503-protocol.md §Flows) only sequence
 * them, so they take this narrow view of a reader and can be tested against a scripted one.
 */
export interface FlowCommands {
  readonly name: string;
  readonly profile: ModelProfile;
  readonly info: ReaderInfo | undefined;
  captureImage(): Promise<boolean>;
  captureImageEx(): Promise<boolean>;
  imageToTemplate(bufferId: number): Promise<void>;
  createModel(): Promise<void>;
  search(bufferId?: number): Promise<SearchMatch | null>;
  store(bufferId: number, pageId: number): Promise<void>;
  listTemplateIds(): Promise<number[]>;
  uploadTemplate(bufferId?: number): Promise<Buffer>;
}

export interface PollOptions {
  timeoutMs?: number;
  pollIntervalMs?: number;
}

export interface CaptureOptions extends PollOptions {
  /** Use GetImageEx where the model has it, so a poor image is refused (default true). */
  poorImageCheck?: boolean;
}

export interface EnrollOptions extends PollOptions {
  /** Store here instead of the first free slot. */
  slot?: number;
  /** Store even when the finger is already in the library. */
  allowDuplicate?: boolean;
}

/** Poll GenImg until a finger is captured, then extract features into `bufferId`. */
export async function captureFinger(reader: FlowCommands, clock: Clock, bufferId = 1, options: CaptureOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, pollIntervalMs = 100 } = options;
  const useEx = options.poorImageCheck !== false && reader.profile.opcodes.GetImageEx !== undefined;
  const deadline = clock.nowMs() + timeoutMs;
  for (;;) {
    if (await (useEx ? reader.captureImageEx() : reader.captureImage())) break;
    if (clock.nowMs() >= deadline) {
      throw new FingerprintError(FingerprintErrorCode.Timeout, `no finger placed on ${reader.name} within ${timeoutMs} ms`);
    }
    await delay(pollIntervalMs);
  }
  await reader.imageToTemplate(bufferId);
}

/** Wait until GenImg reports no finger (between enrolment captures). */
export async function waitForFingerLift(reader: FlowCommands, clock: Clock, options: PollOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, pollIntervalMs = 100 } = options;
  const deadline = clock.nowMs() + timeoutMs;
  while (await reader.captureImage()) {
    if (clock.nowMs() >= deadline) throw new FingerprintError(FingerprintErrorCode.Timeout, `finger not lifted from ${reader.name} within ${timeoutMs} ms`);
    await delay(pollIntervalMs);
  }
}

/** First free slot from ReadIndexTable; throws LIBRARY_FULL when there is none. */
export async function findFreeSlot(reader: FlowCommands): Promise<number> {
  const capacity = reader.info?.capacity;
  if (capacity === undefined) throw new FingerprintError(FingerprintErrorCode.NotReady, `reader ${reader.name} has not completed a handshake`);
  const used = new Set(await reader.listTemplateIds());
  for (let id = 0; id < capacity; id++) if (!used.has(id)) return id;
  throw new FingerprintError(FingerprintErrorCode.LibraryFull, `fingerprint library on ${reader.name} is full (${capacity} templates)`, {
    reader: reader.name,
    confirmation: ConfirmationCode.LibraryFull,
  });
}

/** 1:N identification: capture, then Search over the whole library (docs/r503-protocol.md §Flows). */
export async function identify(reader: FlowCommands, clock: Clock, options: PollOptions = {}): Promise<SearchMatch | null> {
  await captureFinger(reader, clock, 1, options);
  return reader.search(1);
}

/**
 * Classic two-capture enrolment (docs/r503-protocol.md §Flows): capture, lift, capture, RegModel,
 * duplicate check, store. Returns the template (UpChar) so the server can hold its own copy.
 */
export async function enroll(reader: FlowCommands, clock: Clock, options: EnrollOptions = {}): Promise<{ slot: number; template: Buffer }> {
  await captureFinger(reader, clock, 1, options);
  await waitForFingerLift(reader, clock, options);
  await captureFinger(reader, clock, 2, options);
  await reader.createModel();
  if (!options.allowDuplicate) {
    const existing = await reader.search(1);
    if (existing) throw FingerprintError.confirmation('enroll', ConfirmationCode.AlreadyExists, reader.name);
  }
  const slot = options.slot ?? (await findFreeSlot(reader));
  await reader.store(1, slot);
  const template = await reader.uploadTemplate(1);
  return { slot, template };
}
