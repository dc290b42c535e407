import { Foundation1795671853739 } from './1795671853739-Foundation.js';

/** Every migration, oldest first. Never edit one that has landed: add a new one. */
export const MIGRATIONS = [Foundation1795671853739];
