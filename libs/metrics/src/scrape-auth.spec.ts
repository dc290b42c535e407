import { describe, expect, it } from '@jest/globals';
import { scrapeVerdict } from './scrape-auth.js';

const TOKEN = 'm'.repeat(24) + 'etrics-token-01';

describe(scrapeVerdict.name, () => {
  it.each([
    // on the API port (never open without a token)
    [undefined, undefined, false, 'disabled'],
    [`Bearer ${TOKEN}`, undefined, false, 'disabled'],
    [undefined, TOKEN, false, 'unauthenticated'],
    ['', TOKEN, false, 'unauthenticated'],
    [`Bearer ${TOKEN}x`, TOKEN, false, 'unauthenticated'],
    [`Bearer ${TOKEN.slice(1)}`, TOKEN, false, 'unauthenticated'],
    [`Basic ${TOKEN}`, TOKEN, false, 'unauthenticated'],
    [TOKEN, TOKEN, false, 'unauthenticated'],
    [`Bearer ${TOKEN}`, TOKEN, false, 'allowed'],
    [`bearer ${TOKEN}`, TOKEN, false, 'allowed'],
    // the loopback listener: open without a token, and the token is still required once set
    [undefined, undefined, true, 'allowed'],
    [undefined, TOKEN, true, 'unauthenticated'],
    [`Bearer ${TOKEN}`, TOKEN, true, 'allowed'],
  ] as const)('%j with token %j (open without: %j) → %s', (header, token, open, verdict) => {
    expect(scrapeVerdict(header, token, open)).toBe(verdict);
  });
});
