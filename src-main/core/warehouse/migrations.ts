import { EVENTS_MIGRATIONS } from '../events/schema';
import { PIPELINE_MIGRATIONS } from '../pipelines/migrations';
import { USERS_MIGRATIONS } from '../users/schema';
import { IDENTITY_MIGRATIONS } from '../identity/schema';

// Every warehouse schema change, in order. Each runs once, in its own
// transaction, recorded by id in schema_migrations. Domains contribute their
// own lists here; never edit an applied migration, add a new one.
export interface WarehouseMigration {
  id: string;
  sql: string[];
}

export const CORE_MIGRATIONS: WarehouseMigration[] = [
  {
    id: 'core-001-meta',
    sql: [`CREATE TABLE IF NOT EXISTS app_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`],
  },
];

export const ALL_MIGRATIONS: WarehouseMigration[] = [...CORE_MIGRATIONS, ...EVENTS_MIGRATIONS, ...PIPELINE_MIGRATIONS, ...USERS_MIGRATIONS, ...IDENTITY_MIGRATIONS];
