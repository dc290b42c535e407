import type { SchemaParts } from '@acs/database';
import { createTestDatabase, type TestDatabase } from '@acs/database/testing';
import { MIGRATIONS } from '../../migrations/index.js';

/** TypeORM's entity list type, as SchemaParts declares it. */
type Entities = SchemaParts['entities'];

/**
 * The schema parts for a lib spec: the lib's own entities (TypeORM needs metadata only for the
 * entities the spec uses) and every migration (they create all tables in SQL, so the database is
 * the one the server runs on). Here rather than in @acs/database/testing because libs must not
 * import migrations/ (dependency-cruiser), while specs may use the shared test helpers.
 */
export function libSchema(entities: Entities): SchemaParts {
  return { entities, migrations: MIGRATIONS };
}

/** A migrated SQLite file in a fresh temp folder with only `entities` mapped: a lib spec's database. */
export function createLibTestDatabase(entities: Entities, env: Record<string, string> = {}): Promise<TestDatabase> {
  return createTestDatabase(libSchema(entities), env);
}
