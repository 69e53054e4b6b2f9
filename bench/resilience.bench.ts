/**
 * npm run bench:resilience [-- --calls 20000]
 *
 * What the deadline and circuit breaker (cockatiel) add to each backend call, measured on the
 * embedded local registry where the call itself is cheapest, so the overhead shows most.
 */
import { parseArgs } from 'node:util';
import { LocalRegistry } from '../adapters/local/index.ts';
import { withResilience, type RegistryAdapter } from '../src/core/index.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' } } });
const calls = Number(values.calls);

const local = new LocalRegistry({ id: 'local', path: ':memory:' });
await local.createModel({ name: 'm' });
await local.createVersion({ name: 'm' });
const resilient = withResilience(local, { deadlineMs: 60_000, failureThreshold: 5, cooldownMs: 30_000 });

const operations: Record<string, (registry: RegistryAdapter, i: number) => Promise<unknown>> = {
  'getModel (read)': (registry) => registry.getModel('m'),
  'setTags (write)': (registry, i) => registry.setTags({ name: 'm', version: '1' }, { n: String(i) }, []),
};

async function microsPerCall(registry: RegistryAdapter, operation: (registry: RegistryAdapter, i: number) => Promise<unknown>) {
  for (let i = 0; i < 1000; i++) await operation(registry, i); // warm up
  const started = performance.now();
  for (let i = 0; i < calls; i++) await operation(registry, i);
  return ((performance.now() - started) * 1000) / calls;
}

const rows = [];
for (const [name, operation] of Object.entries(operations)) {
  const raw = await microsPerCall(local, operation);
  const guarded = await microsPerCall(resilient, operation);
  rows.push({ call: name, 'adapter µs': raw.toFixed(1), 'with resilience µs': guarded.toFixed(1), 'added µs': (guarded - raw).toFixed(1) });
}
console.table(rows);
await local.close?.();
