import { describe, expect, it } from '@jest/globals';
import { certificateBody } from './certificate-body.js';
import type { ErasureData } from './erasure-data.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const job = {
  id: 'job-1',
  kind: 'customer' as const,
  customerId: 'cust-1',
  personId: null,
  trigger: 'manual',
  requestedBy: 'staff:compliance-1',
  caseId: null,
  createdAt: T0,
};
const data = (over: Partial<ErasureData> = {}): ErasureData => ({
  keyId: 'key-1',
  contractRef: 'PRG-1',
  serviceEnd: T0 - 86_400_000,
  steps: { readers: { startedAt: T0, finishedAt: T0 + 1000 }, certificate: { startedAt: T0 + 2000 } },
  readers: {
    readerIds: ['r1', 'r2'],
    deletesQueued: 2,
    confirmations: {
      r1: { readerId: 'r1', confirmedAt: T0 + 500, remainingSlots: 0, pendingOps: 0 },
      r2: { readerId: 'r2', confirmedAt: null, remainingSlots: 1, pendingOps: 1 },
    },
  },
  counts: { people: 2 },
  certificateIds: ['earlier', 'cert-1'],
  ...over,
});

describe(certificateBody.name, () => {
  it('dates as ISO, readers as verified with ReadIndexTable, the earlier certificates without this one', () => {
    const body = certificateBody('cert-1', job, data(), T0 + 3000, true);
    expect(body).toMatchObject({
      certificate: 'cert-1',
      version: 1,
      kind: 'customer',
      contractRef: 'PRG-1',
      ranBy: 'staff:compliance-1',
      serviceEnd: '2026-11-30T10:00:00.000Z',
      startedAt: '2026-12-01T10:00:00.000Z',
      issuedAt: '2026-12-01T10:00:03.000Z',
      complete: true,
      steps: { readers: { startedAt: '2026-12-01T10:00:00.000Z', finishedAt: '2026-12-01T10:00:01.000Z' }, certificate: { finishedAt: null } },
      readers: [
        { readerId: 'r1', confirmedAt: '2026-12-01T10:00:00.500Z', verifiedWith: 'ReadIndexTable' },
        { readerId: 'r2', confirmedAt: null, verifiedWith: 'ReadIndexTable' },
      ],
      history: null,
      deferred: null,
      previousCertificates: ['earlier'],
    });
    expect(body).not.toHaveProperty('reapplies');
  });

  it('names deferred parts with the note, and the certificates a re-application repeats', () => {
    const body = certificateBody('cert-1', job, data({ deferred: { parts: ['names'], holdIds: ['h1'] }, reapplies: ['old-1'] }), T0, false);
    expect(body.deferred).toEqual({ parts: ['names'], holdIds: ['h1'], note: 'held under legal hold; erased after release, with a new certificate' });
    expect(body.reapplies).toEqual(['old-1']);
    expect(certificateBody('cert-1', job, data({ deferred: { parts: [], holdIds: ['h1'] } }), T0, true).deferred).toBeNull();
  });

  it('history keeps its counts and heads; keepUntil and expiredAt as ISO', () => {
    const history = { mode: 'pseudonymise' as const, events: 3, erasedHeadSeq: 3, erasedHeadHash: 'abc', keepUntil: T0, expiredAt: null };
    expect(certificateBody('c', job, data({ history }), T0, true).history).toEqual({ ...history, keepUntil: '2026-12-01T10:00:00.000Z', expiredAt: null });
  });
});
