import { randomBytes, randomUUID } from 'node:crypto';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicJobs, SystemClock, seededRandom } from '@acs/clock';
import { KeyService } from '@acs/crypto';
import { FingerprintTemplateEntity, ReaderLibraryService, ReaderManager, TemplateFingerCounts, TemplateVault } from '@acs/reader-fleet';
import { ReadinessRegistry } from '@acs/health';
import {
  AccessService,
  CapacityGuard,
  FingerCountsPort,
  CustomerService,
  DeviceService,
  PersonalData,
  PersonService,
  ReaderDirectory,
  RegistryChanges,
  RegistrySnapshotService,
  SiteService,
} from '@acs/registry';
import { SCHEMA } from '@acs/schema';
import { captureFeatures, featuresToTemplate } from '../../hardware/virtual-reader/src/finger.model.js';
import { VirtualReaderTcpServer } from '../../hardware/virtual-reader/src/tcp.attachment.js';
import { VirtualReader } from '../../hardware/virtual-reader/src/virtual-reader.js';
// A relative import: the build's alias rewriting does not handle the /testing sub-path.
import { createTestDatabase } from '../../libs/database/src/testing/index.js';
import type { Benchmark, Figure } from './harness.js';
import { sealedTemplate } from './sealed-template.js';
import { librarySettled } from '../support/library-settled.js';

const BAUD = 57600;
const TEMPLATE_SIZE = 1536; // R503 (docs/r503-protocol.md §Data packets and template size)
const PACKET_SIZE = 128;
const FRAME = 12; // header 2, address 4, PID 1, length 2, checksum 2, plus the instruction/confirmation byte

const wireMs = (bytes: number) => (bytes * 10 * 1000) / BAUD;

/**
 * A fresh door reader brought from empty to N templates by the application path: reader manager
 * handshake, reconciliation, planner, outbox worker (decrypt, DownChar, Store, ReadIndexTable
 * verification, bookkeeping commit per template), against a virtual R503 that paces every byte at
 * 57600 baud on one half-duplex line. Reported as a ratio to the wire-time bound of the bytes that
 * crossed the line, and to the bare minimum (DownChar + data packets + Store and their ACKs).
 */
const bench: Benchmark = {
  name: 'reader sync: fresh door reader to 200 templates (virtual R503, 57600 baud)',
  async run(ctx) {
    const count = ctx.quick ? 20 : 200;
    const db = await createTestDatabase(SCHEMA, {
      MASTER_KEY: randomBytes(32).toString('base64'),
      DATABASE_SYNCHRONOUS: 'NORMAL',
      READER_SYNC_INTERVAL_S: '3600',
    });
    const device = new VirtualReader({ capacity: 200, templateSize: TEMPLATE_SIZE, packetSize: PACKET_SIZE, pace: true, seed: 7 });
    let bytes = 0;
    const receive = device.receive.bind(device);
    device.receive = (chunk: Buffer) => {
      bytes += chunk.length;
      receive(chunk);
    };
    device.on('output', (b: Buffer) => (bytes += b.length));
    const server = new VirtualReaderTcpServer(device);
    const { url } = await server.listen(0);

    const clock = new SystemClock();
    const keys = new KeyService(db.config, db.dataSource, db.writes, clock);
    const pd = new PersonalData(keys);
    const changes = new RegistryChanges();
    const fingers = new TemplateFingerCounts();
    const fingerCounts = new FingerCountsPort();
    fingerCounts.connect(fingers);
    const capacity = new CapacityGuard(clock, fingerCounts);
    const sites = new SiteService(db.dataSource, db.writes, clock, db.config, changes);
    const devices = new DeviceService(db.dataSource, db.writes, clock, keys, capacity, changes, db.config);
    const access = new AccessService(db.dataSource, db.writes, clock, db.config, capacity, changes);
    const customers = new CustomerService(db.dataSource, db.writes, clock, pd, changes);
    const persons = new PersonService(db.dataSource, db.writes, clock, pd, changes);
    const snapshots = new RegistrySnapshotService(db.dataSource, changes);
    const manager = new ReaderManager(db.config, devices, new ReaderDirectory(db.dataSource), changes, new ReadinessRegistry());
    const vault = new TemplateVault(keys, db.dataSource);
    const library = new ReaderLibraryService(
      db.dataSource,
      db.writes,
      clock,
      db.config,
      manager,
      snapshots,
      new ReaderDirectory(db.dataSource),
      changes,
      vault,
      fingers,
      new PeriodicJobs(new SchedulerRegistry()),
    );
    manager.configureDriver({ baudRate: BAUD });
    try {
      const site = await sites.createSite({ name: 'BENCH', timeZone: 'Europe/Amsterdam' });
      const zone = await sites.createZone({ siteId: site.id, name: 'Hall', kind: 'suite' });
      const reader = await devices.createReader({ siteId: site.id, name: 'Hall entry', model: 'R50x', transport: url, role: 'door', declaredCapacity: 200 });
      await devices.createDoor({ zoneId: zone.id, name: 'Hall door', entryReaderId: reader.id });
      const level = await access.createAccessLevel({ siteId: site.id, name: 'Hall always', zoneIds: [zone.id] });
      const customer = await customers.create({ companyName: 'Bench B.V.', contractRef: 'BENCH-SYNC', serviceStart: '2026-01-01T00:00:00Z' });
      const rnd = seededRandom(99);
      for (let i = 0; i < count; i++) {
        const person = await persons.create(customer.id, { fullName: `Person ${i}` });
        const id = randomUUID();
        const template = featuresToTemplate(captureFeatures(`bench-finger-${i}`, rnd), TEMPLATE_SIZE);
        const row = await sealedTemplate(vault, { id, personId: person.id, customerId: customer.id, finger: 1, template, at: clock.nowMs() });
        await db.writes.transaction((m) => m.insert(FingerprintTemplateEntity, row));
      }
      await access.createGrant({ accessLevelId: level.id, customerId: customer.id });

      bytes = 0;
      const started = performance.now();
      manager.onApplicationBootstrap();
      library.onApplicationBootstrap();
      await manager.whenReady(reader.id, 10_000);
      // The plan may still be pending right after ready: wait until the first op exists, then for all.
      await library.plan();
      await librarySettled(library, [reader.id], 10 * 60_000);
      const elapsed = performance.now() - started;
      const stored = device.library().length;
      if (stored !== count) throw new Error(`reader holds ${stored} templates, expected ${count}`);

      const packets = Math.ceil(TEMPLATE_SIZE / PACKET_SIZE);
      const minimalBytes = count * (FRAME + 1 + FRAME + packets * (PACKET_SIZE + 11) + FRAME + 3 + FRAME);
      ctx.log(`${count} templates, ${bytes} bytes on the wire (${(bytes / count).toFixed(0)} per template), ${(elapsed / 1000).toFixed(1)} s`);
      const figures: Figure[] = [
        { name: `fresh reader to ${count} templates`, value: elapsed, unit: 'ms', baseline: wireMs(bytes), better: 'lower' },
        { name: `same, against DownChar+Store minimum`, value: elapsed, unit: 'ms', baseline: wireMs(minimalBytes), better: 'lower' },
        { name: 'templates per second', value: (count * 1000) / elapsed, unit: '1/s', baseline: (count * 1000) / wireMs(minimalBytes), better: 'higher' },
      ];
      return figures;
    } finally {
      await library.onApplicationShutdown();
      await manager.onApplicationShutdown();
      await server.close();
      await db.close();
    }
  },
};

export default bench;
