import { afterEach, describe, expect, it } from '@jest/globals';
import { AuraColour, AuraControl, encodeDataPackets, FingerprintErrorCode, Pid, SysParaRegister, type ReaderStateChange } from '@acs/fingerprint';
import { FLUSH, mutateFrame, randomJunk, seededRandom, waitForState } from '@acs/fingerprint/testing';
import { VirtualReader } from '../../hardware/virtual-reader/src/index.js';
import { openMockReader, type MockReaderHarness } from '../../hardware/virtual-reader/src/testing/harness.js';
import { setTimeout as sleep } from 'node:timers/promises';

// The driver (libs/fingerprint) against the byte-level emulated module over the real
// SerialPortStream: the whole stack but the UART. Each layer's own seam is tested in the lib.

let harnesses: MockReaderHarness[] = [];
async function open(...args: Parameters<typeof openMockReader>): Promise<MockReaderHarness> {
  const h = await openMockReader(...args);
  harnesses.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  harnesses = [];
});

/** Count data packets (PID 02/08) the virtual module sends, from its raw output. */
function countDataPackets(device: VirtualReader): { data: number; end: number } {
  const counts = { data: 0, end: 0 };
  device.on('output', (b: Buffer) => {
    if (b.length > 9 && b[0] === 0xef && b[1] === 0x01) {
      if (b[6] === Pid.Data) counts.data++;
      if (b[6] === Pid.EndData) counts.end++;
    }
  });
  return counts;
}

describe('FingerprintReader', () => {
  describe('handshake', () => {
    it('verifies the password, reads system parameters and product info, then goes ready', async () => {
      const states: string[] = [];
      const device = new VirtualReader({ capacity: 300, templateSize: 1536 });
      const h = await open({ device, waitReady: false });
      h.reader.on('state', (c: ReaderStateChange) => states.push(c.to));
      await waitForState(h.reader, 'ready');
      expect(device.commands.slice(0, 3)).toEqual([0x13, 0x0f, 0x3c]);
      expect(h.reader.info).toMatchObject({ capacity: 300, packetSize: 128, templateSize: 1536 });
      expect(h.reader.info?.productInfo?.serialNumber).toBe('VR000001');
      expect(states).toContain('ready');
    });

    it('ignores the R503 0x55 ready byte sent at power-up', async () => {
      const h = await open({ device: { readyByte: true } });
      expect(h.reader.state).toBe('ready');
      expect(h.reader.stats.malformed).toBeGreaterThanOrEqual(1);
    });

    it('takes the template size from the module, not from an assumption', async () => {
      const h = await open({ device: { templateSize: 768 }, reader: { templateSize: 512 } });
      expect(h.reader.info?.templateSize).toBe(768);
      h.device.place('carol');
      await h.reader.captureFinger(1, { timeoutMs: 500 });
      await expect(h.reader.uploadTemplate(1)).resolves.toHaveLength(768);
    });

    it('uses the model fallback when the model has no ReadProdInfo, and never sends it', async () => {
      const h = await open({ device: { templateSize: 512, charBuffers: 2 }, reader: { model: 'r30x' } });
      expect(h.reader.info?.templateSize).toBe(512);
      expect(h.device.commands).not.toContain(0x3c);
      await expect(h.reader.readProductInfo()).rejects.toMatchObject({ code: FingerprintErrorCode.Unsupported });
      expect(h.device.commands).not.toContain(0x3c);
    });
  });

  describe('fingers', () => {
    it('enrolls a finger and identifies it with a high score; a different finger is not found', async () => {
      const h = await open({ device: { capacity: 10 } });
      h.device.place('alice-right-index');
      const enrolling = h.reader.enroll({ timeoutMs: 2000, pollIntervalMs: 5 });
      // The flow waits for the finger to be lifted and placed again. Led by what the module was
      // asked, not by sleeps: lifted once the first image became features (Img2Tz, 0x02), placed
      // again once a GenImg (0x01) found the sensor empty (on a loaded CI machine 30 ms sleeps
      // lifted and replaced the finger before the flow looked, and it waited for a lift in vain).
      const seen = async (what: string, ok: () => boolean) => {
        const deadline = Date.now() + 2000;
        while (!ok()) {
          if (Date.now() > deadline) throw new Error(`the enrolment flow never ${what}`);
          await sleep(2);
        }
      };
      await seen('took the first image', () => h.device.commands.includes(0x02));
      h.device.lift();
      const lifted = h.device.commands.length;
      await seen('saw the lift', () => h.device.commands.slice(lifted).includes(0x01));
      h.device.place('alice-right-index');
      const { slot, template } = await enrolling;
      expect(slot).toBe(0);
      expect(template).toHaveLength(1536);
      expect(h.device.library()).toEqual([{ slot: 0, finger: 'alice-right-index' }]);

      const match = await h.reader.identify({ timeoutMs: 500 });
      expect(match?.pageId).toBe(0);
      expect(match!.score).toBeGreaterThan(200);

      h.device.place('bob-left-thumb');
      await expect(h.reader.identify({ timeoutMs: 500 })).resolves.toBeNull();
    });

    it('matches 1:1 against a host-held template sent with DownChar (verify flow)', async () => {
      const h = await open();
      h.device.place('dave');
      await h.reader.captureFinger(1, { timeoutMs: 500 });
      const template = await h.reader.uploadTemplate(1);

      h.device.place('dave');
      await h.reader.downloadTemplate(2, template);
      await h.reader.captureFinger(1, { timeoutMs: 500 });
      const same = await h.reader.match();
      expect(same.matched).toBe(true);
      expect(same.score).toBeGreaterThan(200);

      h.device.place('eve');
      await h.reader.downloadTemplate(2, template);
      await h.reader.captureFinger(1, { timeoutMs: 500 });
      await expect(h.reader.match()).resolves.toEqual({ matched: false, score: 0 });
    });

    it('reports no finger as false and poor images as a readable 0x07 error', async () => {
      const h = await open();
      await expect(h.reader.captureImage()).resolves.toBe(false);
      h.device.place('frank');
      h.device.setMode('poor');
      await expect(h.reader.captureImageEx()).rejects.toThrow('GetImageEx failed: 0x07 too few features (poor image quality)');
      await expect(h.reader.captureImage()).resolves.toBe(true);
      await expect(h.reader.imageToTemplate(1)).rejects.toMatchObject({ code: FingerprintErrorCode.Confirmation, details: { confirmation: 0x07 } });
      h.device.setMode('nofinger');
      await expect(h.reader.captureFinger(1, { timeoutMs: 60, pollIntervalMs: 10 })).rejects.toMatchObject({ code: FingerprintErrorCode.Timeout });
    });

    it('names the command and confirmation code when the module refuses', async () => {
      const h = await open();
      await expect(h.reader.loadTemplate(1, 7)).rejects.toThrow(/^LoadChar failed: 0x0C invalid template or template read error/);
      await expect(h.reader.store(1, 250)).rejects.toMatchObject({ code: FingerprintErrorCode.InvalidArgument });
      await expect(h.reader.imageToTemplate(9)).rejects.toMatchObject({ code: FingerprintErrorCode.InvalidArgument });
    });
  });

  // docs/r503-protocol.md §Data packets and template size
  describe('chunked transfers', () => {
    it.each([
      [32, 512],
      [64, 512],
      [128, 512],
      [256, 512],
      [32, 1536],
      [128, 1536],
      [256, 1536],
    ])('round-trips a template at packet size %i, template size %i', async (packetSize, templateSize) => {
      const h = await open({ device: { packetSize, templateSize } });
      expect(h.reader.info?.packetSize).toBe(packetSize);
      const counts = countDataPackets(h.device);
      h.device.place('grace');
      await h.reader.captureFinger(1, { timeoutMs: 500 });
      const up = await h.reader.uploadTemplate(1);
      expect(up).toHaveLength(templateSize);
      expect(counts).toEqual({ data: Math.ceil(templateSize / packetSize) - 1, end: 1 });

      await h.reader.downloadTemplate(3, up);
      await h.reader.store(3, 4);
      await h.reader.loadTemplate(2, 4);
      await expect(h.reader.uploadTemplate(2)).resolves.toEqual(up);
    });

    it('follows a packet size changed with SetSysPara', async () => {
      const h = await open({ device: { packetSize: 128, templateSize: 512 } });
      await h.reader.setSystemParameter(SysParaRegister.PacketSize, 0);
      expect(h.reader.info?.packetSize).toBe(32);
      const counts = countDataPackets(h.device);
      h.device.place('heidi');
      await h.reader.captureFinger(1, { timeoutMs: 500 });
      await expect(h.reader.uploadTemplate(1)).resolves.toHaveLength(512);
      expect(counts.data + counts.end).toBe(16);
    });

    it('refuses to send a template of the wrong size', async () => {
      const h = await open({ device: { templateSize: 1536 } });
      await expect(h.reader.downloadTemplate(1, Buffer.alloc(512))).rejects.toMatchObject({ code: FingerprintErrorCode.InvalidArgument });
      expect(h.device.commands).not.toContain(0x09);
    });
  });

  describe('queue, timeouts and retries', () => {
    it('serialises concurrent callers: one outstanding command per port', async () => {
      const h = await open();
      let outstanding = 0;
      let maxOutstanding = 0;
      h.device.on('command', () => (maxOutstanding = Math.max(maxOutstanding, ++outstanding)));
      h.device.on('output', () => (outstanding = 0));
      const before = h.device.commands.length;
      const results = await Promise.all([
        h.reader.templateCount(),
        h.reader.readNotepad(0),
        h.reader.getRandomCode(),
        h.reader.readIndexTable(0),
        h.reader.templateCount(),
      ]);
      expect(results[0]).toBe(0);
      expect(results[1]).toEqual(Buffer.alloc(32));
      expect(typeof results[2]).toBe('number');
      expect(results[3]).toEqual([]);
      expect(h.device.commands.slice(before)).toEqual([0x1d, 0x19, 0x14, 0x1f, 0x1d]);
      expect(maxOutstanding).toBe(1);
    });

    it('times out with a readable error when the module stops answering, then recovers', async () => {
      const h = await open({ reader: { commandTimeoutMs: 60, retries: 1 } });
      h.device.silent = true;
      const started = Date.now();
      await expect(h.reader.templateCount()).rejects.toThrow(/TemplateNum: no reply from .* at address 0xFFFFFFFF within \d+ ms/);
      // Two attempts (retries: 1) of ~60 ms plus wire time, not seconds.
      expect(Date.now() - started).toBeLessThan(1000);
      expect(h.reader.stats.timeouts).toBe(2);
      h.device.silent = false;
      await expect(h.reader.templateCount()).resolves.toBe(0);
    });

    it('retries an idempotent command after a lost reply', async () => {
      const h = await open({ reader: { commandTimeoutMs: 60, retries: 2 } });
      h.device.dropReplies = 1;
      await expect(h.reader.templateCount()).resolves.toBe(0);
      expect(h.reader.stats.retries).toBe(1);
    });

    it('ignores a late OK reply whose shape does not fit the outstanding command', async () => {
      const h = await open({ reader: { commandTimeoutMs: 50, retries: 0, settleMs: 0, timeouts: { ReadNotepad: 300 } } });
      h.device.delayNextReplyMs = 80; // TemplateNum answers at ~80 ms, after its 50 ms deadline
      await expect(h.reader.templateCount()).rejects.toMatchObject({ code: FingerprintErrorCode.Timeout });
      h.device.delayNextReplyMs = 60; // ReadNotepad answers at ~110 ms: the stale ACK lands first
      await expect(h.reader.readNotepad(0)).resolves.toEqual(Buffer.alloc(32));
      expect(h.reader.stats.staleReplies).toBe(1);
    });

    it('waits for the line to settle after a timeout so a same-shaped late reply is dropped', async () => {
      const h = await open({ reader: { commandTimeoutMs: 50, retries: 0, settleMs: 100 } });
      h.device.delayNextReplyMs = 80;
      await expect(h.reader.handShake()).rejects.toMatchObject({ code: FingerprintErrorCode.Timeout });
      // The late HandShake ACK (00, no result) looks exactly like "image captured"; no finger is
      // placed, and the real GenImg answer (02) is slow too, so without the settle period the
      // stale ACK would win.
      h.device.delayNextReplyMs = 60;
      await expect(h.reader.captureImage()).resolves.toBe(false);
    });

    it('drops a reply cut short before the next command instead of letting it swallow the answer', async () => {
      const h = await open({ reader: { timeouts: { GenImg: 250 } } });
      // An ACK header promising 60 bytes, two of them, then silence (issue 16).
      const cut = Buffer.from([0xef, 0x01, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0x3e, 0x00, 0x01]);
      h.device.emit('output', cut);
      await sleep(20);
      await expect(h.reader.captureImage()).resolves.toBe(false);
      expect(h.reader.stats).toMatchObject({ timeouts: 0, malformed: 1 });
    });

    it('refuses a reply header longer than any acknowledge at once, so the real reply behind it gets through', async () => {
      const h = await open({ reader: { timeouts: { GenImg: 250 } } });
      // Noise on the module's TX line between our command and its answer: an ACK header claiming
      // 200 bytes. Waiting for them would swallow the answer until the deadline.
      h.device.once('command', () => h.device.emit('output', Buffer.from([0xef, 0x01, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0xca])));
      await expect(h.reader.captureImage()).resolves.toBe(false);
      expect(h.reader.stats.timeouts).toBe(0);
      expect(h.reader.stats.malformed).toBeGreaterThanOrEqual(1);
    });

    it('lets the line settle after a packet nobody asked for', async () => {
      const h = await open({ reader: { settleMs: 150 } });
      h.device.emit('output', Buffer.from([0xef, 0x01, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0x03, 0x00, 0x00, 0x0a]));
      await new Promise((r) => setImmediate(r));
      const started = Date.now();
      await expect(h.reader.templateCount()).resolves.toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(h.reader.stats.unsolicited).toBe(1);
    });

    it('refuses a runtime baud change with a readable error', async () => {
      const h = await open();
      await expect(h.reader.setSystemParameter(SysParaRegister.BaudRate, 12)).rejects.toThrow(/baud rate at runtime is not supported/);
      expect(h.device.commands).not.toContain(0x0e);
    });

    it('does not retry a non-idempotent command (GenImg) after a lost reply', async () => {
      const h = await open({ reader: { commandTimeoutMs: 60, retries: 2, timeouts: { GenImg: 60 } } });
      h.device.place('ivan');
      h.device.dropReplies = 1;
      const before = h.device.commands.filter((c) => c === 0x01).length;
      await expect(h.reader.captureImage()).rejects.toMatchObject({ code: FingerprintErrorCode.Timeout });
      expect(h.device.commands.filter((c) => c === 0x01).length - before).toBe(1);
      expect(h.reader.stats.retries).toBe(0);
    });
  });

  describe('disconnects', () => {
    it('fails an UpChar cut by an unplug with DISCONNECTED, then recovers when plugged back', async () => {
      // Paced at 57600 baud a 1536-byte template takes ~290 ms on the wire: room to pull the cable.
      const h = await open({ device: { pace: true, templateSize: 1536 } });
      h.device.place('judy');
      await h.reader.captureFinger(1, { timeoutMs: 1000 });
      let dataPackets = 0;
      h.device.on('output', (b: Buffer) => {
        if (b[6] === Pid.Data && ++dataPackets === 3) h.binding.unplug();
      });
      const upload = h.reader.uploadTemplate(1);
      await expect(upload).rejects.toMatchObject({ code: FingerprintErrorCode.Disconnected });
      expect(dataPackets).toBeLessThan(11);
      expect(['connecting', 'failed']).toContain(h.reader.state);
      await expect(h.reader.templateCount()).rejects.toMatchObject({ code: FingerprintErrorCode.NotReady });

      h.binding.plug();
      await waitForState(h.reader, 'ready', 3000);
      // The reconnect re-ran the handshake (VfyPwd first) on the fresh port.
      expect(h.device.commands.filter((c) => c === 0x13).length).toBeGreaterThanOrEqual(2);
      h.device.place('judy');
      await h.reader.captureFinger(1, { timeoutMs: 1000 });
      await expect(h.reader.uploadTemplate(1)).resolves.toHaveLength(1536);
    });

    it('shows failed after repeated reconnect failures and comes back when the device returns', async () => {
      const h = await open({ reader: { reconnect: { initialDelayMs: 5, maxDelayMs: 20, failAfterAttempts: 2 } } });
      h.binding.unplug();
      await waitForState(h.reader, 'failed');
      expect(h.reader.lastError?.code).toBe(FingerprintErrorCode.Disconnected);
      h.binding.plug();
      await waitForState(h.reader, 'ready');
      await expect(h.reader.templateCount()).resolves.toBe(0);
    });
  });

  describe('identity', () => {
    it('refuses a wrong password with a readable error and goes failed', async () => {
      const device = new VirtualReader({ password: 0x0badf00d });
      await expect(openMockReader({ device })).rejects.toMatchObject({ code: FingerprintErrorCode.WrongPassword });
      const h = await open({ device, waitReady: false });
      await waitForState(h.reader, 'failed');
      expect(h.reader.lastError?.message).toMatch(/rejected the configured password/);
      await expect(h.reader.templateCount()).rejects.toMatchObject({ code: FingerprintErrorCode.NotReady });
    });

    it('works with a non-default password and re-verifies it on reconnect', async () => {
      const device = new VirtualReader({ password: 0x0badf00d });
      const h = await open({ device, reader: { password: 0x0badf00d } });
      await expect(h.reader.templateCount()).resolves.toBe(0);
      h.binding.unplug();
      h.binding.plug();
      await waitForState(h.reader, 'connecting');
      await waitForState(h.reader, 'ready');
      await expect(h.reader.templateCount()).resolves.toBe(0);
      expect(device.commands.filter((c) => c === 0x13)).toHaveLength(2);
    });

    it('re-verifies the password when the module forgot it (0x21) and resends the command', async () => {
      const device = new VirtualReader({ password: 0x0badf00d });
      const h = await open({ device, reader: { password: 0x0badf00d } });
      // A power blip behind a device server: the module restarts, the link stays up.
      device.attach();
      h.device.place('quinn');
      await expect(h.reader.captureImage()).resolves.toBe(true);
      expect(device.commands.slice(-3)).toEqual([0x01, 0x13, 0x01]);
    });

    it('talks to a module at a non-default address', async () => {
      const device = new VirtualReader({ address: 0x0000c0de });
      const h = await open({ device, reader: { address: 0x0000c0de } });
      expect(h.reader.info?.systemParameters.address).toBe(0x0000c0de);
      await expect(h.reader.templateCount()).resolves.toBe(0);
    });

    it('names the address when a module at another address never answers', async () => {
      const device = new VirtualReader({ address: 0x0000c0de });
      const h = await open({
        device,
        reader: { commandTimeoutMs: 30, retries: 0, settleMs: 0, reconnect: { initialDelayMs: 5, maxDelayMs: 10, failAfterAttempts: 2 } },
        waitReady: false,
      });
      await waitForState(h.reader, 'failed');
      expect(h.reader.lastError?.message).toMatch(/VfyPwd: no reply from .* at address 0xFFFFFFFF/);
    });

    it('detects a swapped module by its pairing code and refuses it until staff confirm', async () => {
      const original = new VirtualReader({ serialNumber: 'SN-A' });
      const pairing = { code: 'door-7-reader-secret', page: 15 };
      // First install: the notepad is blank, so even the right module waits for confirmation.
      const h = await open({ device: original, reader: { pairing }, waitReady: false });
      await waitForState(h.reader, 'failed');
      expect(h.reader.lastError?.code).toBe(FingerprintErrorCode.IdentityMismatch);
      await h.reader.confirmModule();
      expect(h.reader.state).toBe('ready');
      expect(original.notepadPage(15).subarray(0, 20).toString()).toBe('door-7-reader-secret');

      // Someone swaps the module.
      const impostor = new VirtualReader({ serialNumber: 'SN-B' });
      h.binding.unplug();
      h.binding.plug(impostor);
      await waitForState(h.reader, 'failed', 3000);
      expect(h.reader.lastError?.message).toMatch(/identity check failed .*refusing to use it until staff confirm/);
      await expect(h.reader.captureImage()).rejects.toMatchObject({ code: FingerprintErrorCode.NotReady });
      expect(impostor.commands).not.toContain(0x01);

      // Staff confirm the replacement.
      await h.reader.confirmModule();
      expect(h.reader.state).toBe('ready');
      expect(impostor.notepadPage(15).subarray(0, 20).toString()).toBe('door-7-reader-secret');
    });

    it('detects a swapped module by serial number even without a pairing code', async () => {
      const h = await open({ device: new VirtualReader({ serialNumber: 'SN-A' }) });
      h.binding.unplug();
      h.binding.plug(new VirtualReader({ serialNumber: 'SN-C' }));
      await waitForState(h.reader, 'failed', 3000);
      expect(h.reader.lastError?.message).toMatch(/serial number changed from SN-A to SN-C/);
    });
  });

  describe('library', () => {
    it('reports LIBRARY_FULL when no slot is free', async () => {
      const h = await open({ device: { capacity: 3 } });
      const stored: number[] = [];
      for (const finger of ['k1', 'k2', 'k3']) {
        h.device.place(finger);
        await h.reader.captureFinger(1, { timeoutMs: 500 });
        stored.push(await h.reader.storeInFreeSlot(1));
      }
      expect(stored).toEqual([0, 1, 2]);
      await expect(h.reader.templateCount()).resolves.toBe(3);
      await expect(h.reader.listTemplateIds()).resolves.toEqual([0, 1, 2]);
      h.device.place('k4');
      await h.reader.captureFinger(1, { timeoutMs: 500 });
      await expect(h.reader.storeInFreeSlot(1)).rejects.toMatchObject({ code: FingerprintErrorCode.LibraryFull });
      await expect(h.reader.storeInFreeSlot(1)).rejects.toThrow('fingerprint library on');

      await h.reader.deleteTemplates(1);
      await expect(h.reader.listTemplateIds()).resolves.toEqual([0, 2]);
      await expect(h.reader.storeInFreeSlot(1)).resolves.toBe(1);
      await h.reader.emptyLibrary();
      await expect(h.reader.templateCount()).resolves.toBe(0);
    });
  });

  describe('module extras', () => {
    it('reads and writes the notepad, drives the LED ring and gets random codes', async () => {
      const h = await open();
      await h.reader.writeNotepad(3, 'hello');
      const page = await h.reader.readNotepad(3);
      expect(page.subarray(0, 5).toString()).toBe('hello');
      expect(page).toHaveLength(32);
      await h.reader.auraLed(AuraControl.Flashing, AuraColour.Red, 0x20, 3);
      expect(h.device.status().led).toEqual({ control: 2, speed: 0x20, colour: 1, count: 3 });
      const codes = new Set([await h.reader.getRandomCode(), await h.reader.getRandomCode()]);
      expect(codes.size).toBe(2);
      await expect(h.reader.verifyPassword(0x1234)).resolves.toBe(false);
      await expect(h.reader.handShake()).resolves.toBeUndefined();
      await expect(h.reader.readSystemParameters()).resolves.toMatchObject({ capacity: 200, baudRate: 57600 });
    });
  });
});

describe('fuzz: driver', () => {
  it('survives junk from the module between and during commands and keeps working (seeded)', async () => {
    const h = await open({ device: { capacity: 20 } });
    const rnd = seededRandom(0xdead);
    for (let i = 0; i < 60; i++) {
      const junk = rnd() < 0.5 ? randomJunk(rnd, 60) : mutateFrame(encodeDataPackets(0xffffffff, Buffer.alloc(64, i), 32)[0], rnd);
      h.device.emit('output', junk);
      // Whatever the junk did to this command, the next clean one must succeed.
      await h.reader.templateCount().catch(() => undefined);
      h.device.emit('output', FLUSH);
      await expect(h.reader.templateCount()).resolves.toBe(0);
    }
    expect(h.reader.state).toBe('ready');
    expect(h.reader.stats.malformed + h.reader.stats.badChecksum).toBeGreaterThan(0);
  });
});
