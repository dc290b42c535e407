import { afterEach, describe, expect, it } from '@jest/globals';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabaseOn, ENGINES } from '../../../../test/support/lib-database.js';
import { COMPLIANCE_ENTITIES, ErasureCertificateEntity, ErasureJobEntity, type ErasureState } from '../entities.js';
import { erasureFigures } from './erasure-figures.js';

const CUSTOMER = '0193a000-0000-7000-8000-0000000000c1';

describe.each(ENGINES)('erasureFigures (%s)', (engine) => {
  let db: TestDatabase | undefined;
  afterEach(() => db?.close());

  const job = (n: number, state: ErasureState, createdAt: number) =>
    db!.dataSource.getRepository(ErasureJobEntity).insert({
      id: `0193a000-0000-7000-8000-${String(n).padStart(12, '0')}`,
      kind: 'customer',
      customerId: CUSTOMER,
      personId: null,
      state,
      step: 'readers',
      trigger: 'manual',
      requestedBy: null,
      caseId: null,
      data: '{}',
      lastError: null,
      createdAt,
      updatedAt: createdAt,
      finishedAt: null,
    });

  it('counts every state (0 when none), finds the oldest waiting job, counts certificates', async () => {
    db = await createLibTestDatabaseOn(engine, COMPLIANCE_ENTITIES);
    await expect(erasureFigures(db.dataSource)).resolves.toEqual({
      jobs: { running: 0, waiting_for_devices: 0, held: 0, done: 0 },
      oldestWaitingCreatedAt: null,
      certificates: 0,
    });
    await job(1, 'waiting_for_devices', 1_800_000_000_000);
    await job(2, 'waiting_for_devices', 1_700_000_000_000);
    await job(3, 'running', 1_600_000_000_000);
    await job(4, 'done', 1_500_000_000_000);
    await db.dataSource.getRepository(ErasureCertificateEntity).insert({
      id: '0193a000-0000-7000-8000-0000000000e1',
      jobId: '0193a000-0000-7000-8000-000000000004',
      kind: 'customer',
      customerId: CUSTOMER,
      personId: null,
      complete: true,
      issuedAt: 1_500_000_100_000,
      body: '{}',
      hash: 'x'.repeat(64),
    });
    await expect(erasureFigures(db.dataSource)).resolves.toEqual({
      jobs: { running: 1, waiting_for_devices: 2, held: 0, done: 1 },
      oldestWaitingCreatedAt: 1_700_000_000_000,
      certificates: 1,
    });
  });
});
