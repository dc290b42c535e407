export { WriteQueue } from './write-queue.js';
export { applySqlitePragmas } from './sqlite.js';
export { dataSourceOptions, type SchemaParts } from './data-source-options.js';
export { checkSqliteFiles } from './sqlite-files.js';
export { runMigrations, pendingSchemaChanges } from './migrate.js';
export { DatabaseModule } from './database.module.js';
export { epochMs, bigintAsNumber } from './columns.js';
export { clusterLock } from './cluster-lock.js';
export { CHAIN_WITNESS, type ChainWitness, type ChainWitnessVerdict } from './chain-witness.js';
