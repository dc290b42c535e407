import { describe, expect, it } from '@jest/globals';
import { erasurePolicy, type ActiveHold, type ErasurePolicy, type ErasurePolicyInput } from './erasure-policy.js';

const ANNA = 'person-anna';
const BERT = 'person-bert';
const WHOLE: ActiveHold = { id: 'hold-customer', personId: null };
const ON_ANNA: ActiveHold = { id: 'hold-anna', personId: ANNA };
const ON_BERT: ActiveHold = { id: 'hold-bert', personId: BERT };

type Row = [label: string, input: ErasurePolicyInput, expected: Omit<ErasurePolicy, 'templates'>];

const DESTROY = { action: 'destroy' } as const;
const HELD_KEY = { action: 'defer', reason: 'legal_hold' } as const;
const SHARED_KEY = { action: 'keep', reason: 'shared_customer_key' } as const;

const customer = (historyRetention: 'delete' | 'pseudonymise', holds: ActiveHold[] = []): ErasurePolicyInput => ({
  kind: 'customer',
  personId: null,
  historyRetention,
  holds,
});
const person = (holds: ActiveHold[] = []): ErasurePolicyInput => ({ kind: 'person', personId: ANNA, historyRetention: 'delete', holds });
const visitor = (holds: ActiveHold[] = []): ErasurePolicyInput => ({ kind: 'visitor', personId: ANNA, historyRetention: 'delete', holds });
const biometrics = (holds: ActiveHold[] = []): ErasurePolicyInput => ({ kind: 'biometrics', personId: ANNA, historyRetention: 'pseudonymise', holds });

describe(erasurePolicy.name, () => {
  it.each<Row>([
    // Customer purge at end of service.
    [
      'customer, history deleted',
      customer('delete'),
      { holdIds: [], serverTemplatesWith: 'server_data', apiTokens: 'revoke', names: 'delete', history: 'delete', key: DESTROY },
    ],
    [
      'customer, history pseudonymised',
      customer('pseudonymise'),
      { holdIds: [], serverTemplatesWith: 'server_data', apiTokens: 'revoke', names: 'delete', history: 'pseudonymise', key: DESTROY },
    ],
    [
      'customer held whole',
      customer('delete', [WHOLE]),
      { holdIds: ['hold-customer'], serverTemplatesWith: 'server_data', apiTokens: 'revoke', names: 'defer', history: 'defer', key: HELD_KEY },
    ],
    // One held person holds the key back: it seals every name of the customer.
    [
      'customer, one person held',
      customer('pseudonymise', [ON_BERT]),
      { holdIds: ['hold-bert'], serverTemplatesWith: 'server_data', apiTokens: 'revoke', names: 'defer', history: 'defer', key: HELD_KEY },
    ],
    // Erasure of one person (Art. 17).
    ['person', person(), { holdIds: [], serverTemplatesWith: 'readers', apiTokens: 'keep', names: 'delete', history: 'strip_person', key: SHARED_KEY }],
    [
      'person held by name',
      person([ON_ANNA]),
      { holdIds: ['hold-anna'], serverTemplatesWith: 'readers', apiTokens: 'keep', names: 'defer', history: 'defer', key: SHARED_KEY },
    ],
    [
      'person under a customer hold',
      person([WHOLE, ON_BERT]),
      { holdIds: ['hold-customer'], serverTemplatesWith: 'readers', apiTokens: 'keep', names: 'defer', history: 'defer', key: SHARED_KEY },
    ],
    [
      "person, only someone else's hold",
      person([ON_BERT]),
      { holdIds: [], serverTemplatesWith: 'readers', apiTokens: 'keep', names: 'delete', history: 'strip_person', key: SHARED_KEY },
    ],
    // Consent to biometrics withdrawn: templates only, a hold changes nothing else.
    ['biometrics', biometrics(), { holdIds: [], serverTemplatesWith: 'readers', apiTokens: 'keep', names: 'keep', history: 'keep', key: SHARED_KEY }],
    [
      'biometrics held',
      biometrics([ON_ANNA]),
      { holdIds: ['hold-anna'], serverTemplatesWith: 'readers', apiTokens: 'keep', names: 'keep', history: 'keep', key: SHARED_KEY },
    ],
    // A visit's data after its retention period: the name behind the id goes, the passages stay (ids only).
    ['visitor', visitor(), { holdIds: [], serverTemplatesWith: 'readers', apiTokens: 'keep', names: 'delete', history: 'keep', key: SHARED_KEY }],
    [
      'visitor under a customer hold',
      visitor([WHOLE]),
      { holdIds: ['hold-customer'], serverTemplatesWith: 'readers', apiTokens: 'keep', names: 'defer', history: 'keep', key: SHARED_KEY },
    ],
  ])('%s', (_label, input, expected) => {
    expect(erasurePolicy(input)).toEqual({ ...expected, templates: 'delete' });
  });

  it('erases templates whatever is held', () => {
    for (const input of [customer('delete', [WHOLE]), person([ON_ANNA]), biometrics([WHOLE])]) expect(erasurePolicy(input).templates).toBe('delete');
  });
});
