import type { SchemaParts } from '@acs/database';
import { createPostgresDatabase, createTestDatabase, type TestDatabase } from '@acs/database/testing';
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

/** The two databases the server runs on. */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

/**
 * A lib spec's database on either engine, for operations whose SQL differs between them: on
 * PostgreSQL a throwaway database on the local cluster (127.0.0.1:5432, as the *.postgres.spec
 * files use), dropped again by `close`.
 */
export async function createLibTestDatabaseOn(engine: Engine, entities: Entities): Promise<TestDatabase> {
  if (engine === 'sqlite') return createLibTestDatabase(entities);
  const pg = await createPostgresDatabase('acs_lib');
  try {
    const db = await createLibTestDatabase(entities, { DATABASE_URL: pg.url });
    return {
      ...db,
      close: async () => {
        try {
          await db.close();
        } finally {
          await pg.drop();
        }
      },
    };
  } catch (err) {
    await pg.drop();
    throw err;
  }
}
