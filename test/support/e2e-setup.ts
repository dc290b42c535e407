import { jest } from '@jest/globals';

// A whole server per suite, a browser for the console, and (ACS_TEST_DATABASE=postgres) a
// database created and migrated per test app; CI runs the SQLite and PostgreSQL passes side by
// side on two cores. Jest's 5 s default would time out hooks and browser steps there; a hung
// test still fails, after 30 s. (testTimeout is a global option: a project cannot set it.)
jest.setTimeout(30_000);
