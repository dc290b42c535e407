import { describe, expect, it } from '@jest/globals';
import { ApiError, type Problem } from '../../api';
import { fieldErrors } from './model';

const problem = (errors?: Problem['errors']): ApiError =>
  new ApiError({ type: 'urn:acs:problem:validation.failed', title: 'Bad Request', status: 400, code: 'validation.failed', errors });

describe('fieldErrors', () => {
  it.each([
    ['one field, one rule', problem([{ field: 'email', problems: ['email must be an email'] }]), { email: 'email must be an email' }],
    [
      'rules of a field joined, nested paths kept',
      problem([
        { field: 'fullName', problems: ['too short', 'plain text only'] },
        { field: 'contact.phone', problems: ['digits only'] },
      ]),
      { fullName: 'too short; plain text only', 'contact.phone': 'digits only' },
    ],
    ['a field without a message still shows', problem([{ field: 'validUntil', problems: [] }]), { validUntil: 'invalid' }],
    ['a problem without errors', problem(), {}],
    ['not an API error', new Error('offline'), {}],
  ])('%s', (_name, error, expected) => {
    expect(fieldErrors(error)).toEqual(expected);
  });
});
