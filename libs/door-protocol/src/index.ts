export * from './topics.js';
export * from './canonical.js';
export * from './signing.js';
export * from './messages.js';
export * from './freshness.js';
export * from './nonce-cache.js';
export * from './sequence.js';
