import type { Logger } from 'pino';

/** Extra time past the drain grace for closing registries and stores before the process gives up. */
export const CLOSE_MARGIN_MS = 5_000;

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

/**
 * SIGTERM or SIGINT: drain in-flight requests (at most `graceMs`), close registries and stores,
 * exit 0. A second signal exits at once; a stop that outlives grace + margin exits 1.
 * Started by npm or npx, the server also stops when the wrapper that started it is gone:
 * the shell npm puts between them dies of a forwarded SIGTERM without passing it on.
 */
export function stopOnSignals(stop: () => Promise<void>, log: Logger, graceMs: number, exit: (code: number) => never = process.exit): void {
  let stopping = false;
  // A closed stdout (the terminal or wrapper is gone) makes a log write throw: it must not stop the shutdown.
  const say = (write: () => void) => {
    try {
      write();
    } catch {
      // nowhere to report it
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      say(() => log.warn({ signal }, 'second signal: exiting without waiting for in-flight requests'));
      exit(128 + (SIGNAL_NUMBERS[signal] ?? 1));
    }
    stopping = true;
    say(() => log.info({ signal, graceMs }, 'shutting down: draining in-flight requests'));
    const bound = graceMs + CLOSE_MARGIN_MS;
    setTimeout(() => {
      say(() => log.error({ ms: bound }, 'shutdown did not finish in time: exiting'));
      exit(1);
    }, bound).unref();
    stop().then(
      () => {
        say(() => log.info('stopped'));
        exit(0);
      },
      (error: unknown) => {
        say(() => log.error({ err: error }, 'shutdown failed'));
        exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid === parent || stopping) return;
      clearInterval(watch);
      say(() => log.info({ parent }, 'the npm process that started this server is gone'));
      onSignal('SIGTERM');
    }, 250);
    watch.unref();
  }
}
