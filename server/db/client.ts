import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Db = PrismaClient;

/** One PrismaClient per database file, through the better-sqlite3 driver adapter. */
export function createDb(databaseFile: string): Db {
  const adapter = new PrismaBetterSqlite3({ url: `file:${databaseFile}` });
  return new PrismaClient({ adapter });
}
