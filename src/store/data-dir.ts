import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Who holds a data directory, as written by the holder beside its lock. */
export interface DataDirOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export class DataDirInUse extends Error {
  override name = 'DataDirInUse';
}

/**
 * Makes this process the only owner of an embedded data directory: the SQLite store's locks
 * are in-process, so a second process on the same files could hand out one semver twice.
 * The claim is an exclusive SQLite lock, which the OS drops when the process dies (kill -9 too).
 */
export function claimDataDir(dir: string): { release(): void } {
  mkdirSync(dir, { recursive: true });
  // A short wait: a process that is only opening the file at the same instant must not make both refuse.
  const lock = new Database(join(dir, 'modelgate.owner.db'), { timeout: 500 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // Take the exclusive lock first, in one step: two processes upgrading from a shared lock would both be refused.
    // EXCLUSIVE locking mode keeps it after COMMIT, until the connection closes (or the process dies).
    lock.exec('BEGIN EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER, host TEXT, started_at TEXT); DELETE FROM owner;');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    const holder = readOwner(dir);
    throw new DataDirInUse(
      `Data directory ${dir} is in use by another modelgate process` +
        (holder ? ` (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt})` : '') +
        '. Stop it, give this one another --data-dir, or share state through a PostgreSQL store (store.url).',
    );
  }
  const owner: DataDirOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  lock.prepare('INSERT INTO owner VALUES (?, ?, ?)').run(owner.pid, owner.host, owner.startedAt);
  lock.exec('COMMIT');
  writeFileSync(join(dir, 'modelgate.owner.json'), `${JSON.stringify(owner)}\n`);
  return { release: () => lock.close() };
}

function readOwner(dir: string): DataDirOwner | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'modelgate.owner.json'), 'utf8')) as DataDirOwner;
  } catch {
    return null;
  }
}
