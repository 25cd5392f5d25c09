import { loadConfig } from './config.ts';
import { migrate } from './db/migrate.ts';

const config = loadConfig();
const applied = migrate(config.databaseFile);
console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'database is up to date');
