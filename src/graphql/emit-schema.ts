import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { gatewaySchema } from './schema.ts';

/** Writes schema.graphql from the classes, or with --check fails when the checked-in file differs. */
const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
const header = '# Generated from the type-graphql classes by `npm run schema:emit`. Do not edit.\n\n';
const printed = header + printSchema(lexicographicSortSchema(await gatewaySchema())) + '\n';

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a missing file is simply stale
  }
  if (current !== printed) {
    console.error('schema.graphql is stale: run `npm run schema:emit` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql is current.');
} else {
  writeFileSync(target, printed);
  console.log(`wrote ${target}`);
}
