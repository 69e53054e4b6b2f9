import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth), database `test`. */
export const POSTGRES_URL = process.env.MODELGATE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema for one test file, so runs never see each other's rows; dropped afterwards. */
export async function isolatedPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `mg_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`The PostgreSQL tests need the server at ${POSTGRES_URL}: ${(error as Error).message}`);
  }
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    },
  };
}
