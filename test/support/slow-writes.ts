// Preloaded into gateway processes by the crash test: every write of the local registry takes a
// while, so a SIGKILL sent during a burst lands between two backend writes of a promotion.
import { LocalRegistry } from '../../adapters/local/index.ts';

const delayMs = Number(process.env.MODELGATE_TEST_WRITE_DELAY_MS ?? 0);
const pause = () => new Promise((resolve) => setTimeout(resolve, delayMs * (0.5 + Math.random())));

for (const method of ['setStage', 'setTags'] as const) {
  const write = LocalRegistry.prototype[method] as (...args: unknown[]) => Promise<unknown>;
  (LocalRegistry.prototype as unknown as Record<string, unknown>)[method] = async function (this: LocalRegistry, ...args: unknown[]) {
    const result = await write.apply(this, args);
    await pause();
    return result;
  };
}
