import { ConfirmationCode } from '../confirmation-code.js';
import { Pid, u16, u32, wireLength } from '../fingerprint.codec.js';
import {
  AuraColour,
  parseIndexTable,
  parseProductInfo,
  parseSystemParameters,
  SysParaRegister,
  type AuraControl,
  type ProductInfo,
  type SystemParameters,
} from '../fingerprint.commands.js';
import { FingerprintError, FingerprintErrorCode } from '../fingerprint.errors.js';
import type { CommandName } from '../model-profile.js';
import { asFingerprintError, isIdempotent } from './reader-link.js';
import { NOTEPAD_PAGES, ReaderConnection, toNotepadPage } from './reader-connection.js';
import type { SearchMatch } from './reader.types.js';

/**
 * The command API: one method per module instruction (docs/r503-protocol.md §Instruction set; the
 * opcode heads each method, the section of that document its argument and result layout). Each
 * checks its arguments against what the handshake read, queues behind the connection's ready
 * gate, and turns the expected "no" answers (no finger, no match) into return values.
 */
export abstract class ReaderCommands extends ReaderConnection {
  /** 0x13 VfyPwd. Returns false for a wrong password instead of throwing. */
  async verifyPassword(password = this.password): Promise<boolean> {
    return this.run(async () => {
      const ack = await this.link.transact('VfyPwd', [u32(password)]);
      if (ack.confirmation === ConfirmationCode.WrongPassword) {
        // A failed probe un-verifies the session on modules with a password: restore it.
        if (password !== this.password) this.check('VfyPwd', await this.link.transact('VfyPwd', [u32(this.password)]));
        return false;
      }
      this.check('VfyPwd', ack);
      return true;
    });
  }

  /** 0x0F ReadSysPara (docs/r503-protocol.md §System parameters). */
  async readSystemParameters(): Promise<SystemParameters> {
    return parseSystemParameters(await this.simple('ReadSysPara'));
  }

  /** 0x3C ReadProdInfo (R503; docs/r503-protocol.md §Product information). */
  async readProductInfo(): Promise<ProductInfo> {
    return parseProductInfo(await this.simple('ReadProdInfo'));
  }

  /** 0x1D TempleteNum: number of stored templates. */
  async templateCount(): Promise<number> {
    return (await this.simple('TemplateNum')).readUInt16BE(0);
  }

  /** 0x1F ReadIndexTable: occupied slots on one index page (256 slots per page; docs/r503-protocol.md §Index table). */
  async readIndexTable(page: number): Promise<number[]> {
    if (!Number.isInteger(page) || page < 0 || page > 3) throw new FingerprintError(FingerprintErrorCode.InvalidArgument, `index page ${page} outside 0..3`);
    return parseIndexTable(page, await this.simple('ReadIndexTable', page));
  }

  /** Every occupied slot, reading as many index pages as the capacity needs. */
  async listTemplateIds(): Promise<number[]> {
    const { capacity } = this.requireInfo();
    const ids: number[] = [];
    for (let page = 0; page * 256 < capacity && page < 4; page++) ids.push(...(await this.readIndexTable(page)));
    return ids.filter((id) => id < capacity);
  }

  /** 0x01 GenImg. True when an image was captured, false when no finger is on the sensor. */
  async captureImage(): Promise<boolean> {
    return this.imageCommand('GenImg');
  }

  /** 0x28 GetImageEx (R50x): like GenImg but refuses poor-quality images with 0x07. */
  async captureImageEx(): Promise<boolean> {
    return this.imageCommand('GetImageEx');
  }

  private async imageCommand(command: 'GenImg' | 'GetImageEx'): Promise<boolean> {
    return this.run(async () => {
      const ack = await this.link.transact(command, []);
      if (ack.confirmation === ConfirmationCode.NoFinger) return false;
      this.check(command, ack);
      return true;
    });
  }

  /** 0x02 Img2Tz / GenChar: features of the captured image into a character buffer. */
  async imageToTemplate(bufferId: number): Promise<void> {
    this.checkBuffer(bufferId);
    await this.simple('Img2Tz', bufferId);
  }

  /** 0x05 RegModel: merge the character buffers into one template (in buffers 1 and 2). */
  async createModel(): Promise<void> {
    await this.simple('RegModel');
  }

  /** 0x03 Match buffer 1 against buffer 2. */
  async match(): Promise<{ matched: boolean; score: number }> {
    return this.run(async () => {
      const ack = await this.link.transact('Match', []);
      if (ack.confirmation === ConfirmationCode.NoMatch) return { matched: false, score: 0 };
      return { matched: true, score: this.result('Match', ack).readUInt16BE(0) };
    });
  }

  /** 0x04 Search (or 0x1B HiSpeedSearch): null when nothing in the range matches. */
  async search(bufferId = 1, startPage = 0, pageCount?: number, options: { highSpeed?: boolean } = {}): Promise<SearchMatch | null> {
    this.checkBuffer(bufferId);
    const count = pageCount ?? this.requireInfo().capacity;
    const command: CommandName = options.highSpeed ? 'HiSpeedSearch' : 'Search';
    return this.run(async () => {
      const ack = await this.link.transact(command, [bufferId, u16(startPage), u16(count)]);
      if (ack.confirmation === ConfirmationCode.NotFound) return null;
      const r = this.result(command, ack);
      return { pageId: r.readUInt16BE(0), score: r.readUInt16BE(2) };
    });
  }

  /** 0x06 Store a character buffer into a library slot. */
  async store(bufferId: number, pageId: number): Promise<void> {
    this.checkBuffer(bufferId);
    this.checkSlot(pageId);
    await this.simple('Store', bufferId, u16(pageId));
  }

  /** 0x07 LoadChar: a library slot into a character buffer. */
  async loadTemplate(bufferId: number, pageId: number): Promise<void> {
    this.checkBuffer(bufferId);
    this.checkSlot(pageId);
    await this.simple('LoadChar', bufferId, u16(pageId));
  }

  /** 0x0C DeletChar: delete `count` templates starting at `pageId`. */
  async deleteTemplates(pageId: number, count = 1): Promise<void> {
    this.checkSlot(pageId);
    await this.simple('DeletChar', u16(pageId), u16(count));
  }

  /** 0x0D Empty: wipe the whole library. */
  async emptyLibrary(): Promise<void> {
    await this.simple('Empty');
  }

  /** 0x0E SetSysPara. Takes effect after the reply; the handshake re-reads the parameters. */
  async setSystemParameter(register: SysParaRegister, value: number): Promise<void> {
    if (register === SysParaRegister.BaudRate) {
      // The module switches speed right after its reply; the port would have to follow mid-session.
      throw new FingerprintError(
        FingerprintErrorCode.InvalidArgument,
        'changing the module baud rate at runtime is not supported: set it once with a commissioning tool and configure baudRate',
      );
    }
    await this.run(async () => {
      this.check('SetSysPara', await this.link.transact('SetSysPara', [register, value]));
      if (register === SysParaRegister.PacketSize || register === SysParaRegister.SecurityLevel) {
        const sysPara = parseSystemParameters(this.result('ReadSysPara', await this.link.transact('ReadSysPara', [])));
        this.updateInfo({ systemParameters: sysPara, packetSize: sysPara.packetSize });
      }
    });
  }

  /** 0x12 SetPwd. The new password is used from now on (and on every reconnect). */
  async setPassword(password: number): Promise<void> {
    await this.run(async () => {
      this.check('SetPwd', await this.link.transact('SetPwd', [u32(password)]));
      this.password = password >>> 0;
    });
  }

  /** 0x14 GetRandomCode: 32 bits from the module's RNG. */
  async getRandomCode(): Promise<number> {
    return (await this.simple('GetRandomCode')).readUInt32BE(0);
  }

  /** 0x18 WriteNotepad: 32 bytes to page 0..15 (flash; docs/r503-protocol.md §Notepad). */
  async writeNotepad(page: number, data: Buffer | string): Promise<void> {
    checkNotepadPage(page);
    await this.simple('WriteNotepad', page, toNotepadPage(data));
  }

  /** 0x19 ReadNotepad: 32 bytes from page 0..15. */
  async readNotepad(page: number): Promise<Buffer> {
    checkNotepadPage(page);
    return Buffer.from(await this.simple('ReadNotepad', page));
  }

  /** 0x35 AuraLedConfig (R503 LED ring; docs/r503-protocol.md §Aura LED ring). */
  async auraLed(control: AuraControl, colour: AuraColour = AuraColour.Blue, speed = 0x80, count = 0): Promise<void> {
    await this.simple('AuraLedConfig', control, speed, colour, count);
  }

  /** 0x36 CheckSensor (R503). */
  async checkSensor(): Promise<void> {
    await this.simple('CheckSensor');
  }

  /** HandShake: 0x40 on R503, 0x35 on ZW-series (the model map picks; docs/r503-protocol.md §Model differences). */
  async handShake(): Promise<void> {
    await this.simple('HandShake');
  }

  /**
   * 0x08 UpChar: read a character buffer as a template. The module streams ⌈size/P⌉ data packets
   * after its ACK without per-packet ACKs (docs/r503-protocol.md §Data packets and template size);
   * P and the size come from the handshake (ReadSysPara word 6, ReadProdInfo), never from
   * assumptions.
   */
  async uploadTemplate(bufferId = 1): Promise<Buffer> {
    this.checkBuffer(bufferId);
    const { templateSize, packetSize } = this.requireInfo();
    return this.run(async () => {
      const attempts = isIdempotent('UpChar') ? this.link.retries + 1 : 1;
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.upCharOnce(bufferId, templateSize, packetSize);
        } catch (err) {
          const error = asFingerprintError(err, this.name);
          if (error.code !== FingerprintErrorCode.Timeout || attempt >= attempts) throw error;
          this.link.counters.retries++;
          // The module may still be streaming the abandoned transfer: let it drain first, or its
          // tail would be counted into the retry.
          this.link.holdQuiet(this.link.wireMsFor(Math.ceil(templateSize / packetSize) * wireLength(packetSize)) + this.link.settleMs);
        }
      }
    });
  }

  private async upCharOnce(bufferId: number, templateSize: number, packetSize: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let received = 0;
    const ack = await this.link.receive('UpChar', [bufferId], (packet) => {
      if (packet.content.length > packetSize) {
        throw new FingerprintError(FingerprintErrorCode.Protocol, `UpChar: data packet of ${packet.content.length} bytes exceeds packet size ${packetSize}`);
      }
      received += packet.content.length;
      if (received > templateSize) {
        throw new FingerprintError(FingerprintErrorCode.Protocol, `UpChar: module sent more than the ${templateSize}-byte template`);
      }
      chunks.push(packet.content);
      return packet.pid === Pid.EndData ? 'done' : 'more';
    });
    this.check('UpChar', ack);
    if (received !== templateSize) {
      throw new FingerprintError(FingerprintErrorCode.Protocol, `UpChar: module sent ${received} bytes, expected a ${templateSize}-byte template`, {
        command: 'UpChar',
        reader: this.name,
      });
    }
    return Buffer.concat(chunks);
  }

  /**
   * 0x09 DownChar: send a template into a character buffer. After ACK 00 the host streams the data
   * packets; the module answers none of them (docs/r503-protocol.md §Data packets and template
   * size), so the wire time is added to the next command's deadline instead.
   */
  async downloadTemplate(bufferId: number, template: Buffer): Promise<void> {
    this.checkBuffer(bufferId);
    const { templateSize, packetSize } = this.requireInfo();
    if (template.length !== templateSize) {
      throw new FingerprintError(FingerprintErrorCode.InvalidArgument, `template is ${template.length} bytes, module ${this.name} takes ${templateSize}`);
    }
    await this.run(async () => {
      this.check('DownChar', await this.link.transact('DownChar', [bufferId]));
      await this.link.send('DownChar', template, packetSize);
    });
  }

  private checkBuffer(bufferId: number): void {
    if (!Number.isInteger(bufferId) || bufferId < 1 || bufferId > this.profile.charBuffers) {
      throw new FingerprintError(
        FingerprintErrorCode.InvalidArgument,
        `character buffer ${bufferId} does not exist on ${this.profile.name} (1..${this.profile.charBuffers})`,
      );
    }
  }

  private checkSlot(pageId: number): void {
    const capacity = this.info?.capacity ?? 0xffff;
    if (!Number.isInteger(pageId) || pageId < 0 || pageId >= capacity) {
      throw new FingerprintError(FingerprintErrorCode.InvalidArgument, `template slot ${pageId} outside 0..${capacity - 1}`);
    }
  }
}

function checkNotepadPage(page: number): void {
  if (!Number.isInteger(page) || page < 0 || page >= NOTEPAD_PAGES)
    throw new FingerprintError(FingerprintErrorCode.InvalidArgument, `notepad page ${page} outside 0..15`);
}
