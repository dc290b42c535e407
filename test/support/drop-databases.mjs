// Jest global teardown for the end-to-end project: with ACS_TEST_DATABASE=postgres every test
// app has its own database; a test that removed its data folder without closing through the
// support code leaves one behind. This run's databases (prefix from the global setup) go here.
import pg from 'pg';

export default async function dropDatabases() {
  if (process.env.ACS_TEST_DATABASE !== 'postgres' || !process.env.ACS_TEST_PG_RUN) return;
  const client = new pg.Client({ connectionString: process.env.ACS_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  try {
    const prefix = `acs\\_e2e\\_${process.env.ACS_TEST_PG_RUN}\\_`;
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
