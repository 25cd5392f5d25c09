import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { migrate, MIGRATIONS_DIR } from '../../../server/db/migrate.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'berth-migrate-'));
}

test('migrations apply once, into Prisma’s _prisma_migrations table', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'db.sqlite');
    const first = migrate(file);
    assert.ok(first.length >= 1);
    assert.deepEqual(migrate(file), []);
    const db = new Database(file);
    const names = db.prepare('SELECT migration_name FROM _prisma_migrations').all() as { migration_name: string }[];
    assert.deepEqual(names.map((n) => n.migration_name), first.map((m) => m.name));
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[];
    for (const t of ['User', 'Session', 'AuditLog', 'Endpoint', 'Setting']) assert.ok(tables.some((x) => x.name === t), t);
    db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a migration changed after it was applied is refused, and a failing one rolls back', () => {
  const dir = tmp();
  try {
    const migrations = path.join(dir, 'migrations');
    fs.cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
    const file = path.join(dir, 'db.sqlite');
    migrate(file, migrations);
    const [name] = fs.readdirSync(migrations).filter((n) => !n.endsWith('.toml'));
    fs.appendFileSync(path.join(migrations, name!, 'migration.sql'), '\n-- edited\n');
    assert.throws(() => migrate(file, migrations), /checksum mismatch/);

    fs.cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
    fs.mkdirSync(path.join(migrations, '29990101000000_broken'));
    fs.writeFileSync(path.join(migrations, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "T" ("a" INT);\nTHIS IS NOT SQL;');
    assert.throws(() => migrate(file, migrations));
    const db = new Database(file);
    const t = db.prepare("SELECT name FROM sqlite_master WHERE name='T'").get();
    db.close();
    assert.equal(t, undefined, 'the failed migration left nothing behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
