import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { FingerprintModule, FingerprintReaderRegistry } from './fingerprint.module.js';
import { FAST_READER_OPTIONS, VirtualReader, VirtualReaderBinding, waitForState } from './testing/index.js';

describe('FingerprintModule', () => {
  it('opens configured readers on bootstrap, reports health and closes them on shutdown', async () => {
    const good = new VirtualReaderBinding(new VirtualReader());
    const locked = new VirtualReaderBinding(new VirtualReader({ password: 0x1111 }));
    const moduleRef = await Test.createTestingModule({
      imports: [
        FingerprintModule.forRootAsync({
          useFactory: () => ({
            readers: [
              { ...FAST_READER_OPTIONS, id: 'door-1-in', path: good.path, binding: good },
              { ...FAST_READER_OPTIONS, id: 'door-2-in', path: locked.path, binding: locked },
            ],
          }),
        }),
      ],
    }).compile();
    moduleRef.useLogger(false);
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const registry = app.get(FingerprintReaderRegistry);
    const reader = registry.get('door-1-in');
    await waitForState(reader, 'ready');
    await waitForState(registry.get('door-2-in'), 'failed');
    await expect(reader.templateCount()).resolves.toBe(0);
    expect(registry.health()).toEqual([
      { id: 'door-1-in', name: 'door-1-in', state: 'ready', error: undefined },
      { id: 'door-2-in', name: 'door-2-in', state: 'failed', error: expect.stringMatching(/rejected the configured password/) },
    ]);
    expect(() => registry.get('nope')).toThrow('no fingerprint reader "nope"');

    await app.close();
    expect(reader.state).toBe('closed');
    expect(registry.health()).toEqual([]);
  });

  it('opens a reader on demand with forRoot and waits for it when asked', async () => {
    const binding = new VirtualReaderBinding(new VirtualReader());
    const moduleRef = await Test.createTestingModule({ imports: [FingerprintModule.forRoot({ readers: [], openOnBootstrap: false })] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const registry = app.get(FingerprintReaderRegistry);
    const reader = await registry.open({ ...FAST_READER_OPTIONS, id: 'lobby', path: binding.path, binding }, { waitForReady: true });
    expect(reader.state).toBe('ready');
    await expect(registry.open({ id: 'lobby', path: binding.path, binding })).rejects.toThrow('already open');
    await registry.close('lobby');
    expect(reader.state).toBe('closed');
    await app.close();
  });
});
