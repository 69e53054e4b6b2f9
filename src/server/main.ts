import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, resolveConfig, type ConfigOverrides, type ResolvedConfig } from './config.ts';
import { DEMO_POLICIES, loadDemo } from './demo.ts';
import { startGateway } from './gateway.ts';
import { stopOnSignals } from './shutdown.ts';
import { DataDirInUse } from '../store/index.ts';

const USAGE = `Usage: modelgate serve [--config FILE] [--host HOST] [--port PORT] [--data-dir DIR] [--demo]

  --config FILE    modelgate.yaml to read (env MODELGATE_CONFIG)
  --host HOST      address to bind (env HOST; default 127.0.0.1)
  --port PORT      port to bind (env PORT; default 4000)
  --data-dir DIR   where the local registry keeps its files (env MODELGATE_DATA_DIR; default ./data)
  --demo           load the ChurnPredictionModel example into the default registry and, without
                   --config, the tutorial's gates and approval policies`;

function readOptions(argv: string[]): { config: ResolvedConfig; demo: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const env = process.env;
  const portText = values.port ?? env.PORT;
  const port = portText === undefined || portText === '' ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new ConfigError(`Invalid port '${portText}': expected an integer from 0 to 65535`);
  }
  const overrides: ConfigOverrides = {
    host: values.host ?? (env.HOST || undefined),
    port,
    dataDir: values['data-dir'] ?? (env.MODELGATE_DATA_DIR || undefined),
  };
  const file = values.config ?? (env.MODELGATE_CONFIG || undefined);
  // A config file keeps its own policies; the bare demo brings the tutorial's.
  const config = file ? loadConfigFile(file, overrides) : resolveConfig(values.demo ? { policies: DEMO_POLICIES } : {}, overrides, 'defaults');
  return { config, demo: values.demo };
}

async function main(): Promise<void> {
  let options: ReturnType<typeof readOptions>;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof ConfigError || error instanceof TypeError ? error.message : error);
    console.error(`\n${USAGE}`);
    process.exit(2);
  }
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(options.config);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof DataDirInUse)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  const { log } = gateway;
  if (options.demo && (await loadDemo(gateway.registries.get()))) {
    log.info({ registry: gateway.registries.defaultId }, 'loaded the demo model ChurnPredictionModel');
  }
  log.info(
    { url: gateway.url, registries: options.config.registries.map((r) => `${r.id} (${r.kind})`), dataDir: options.config.dataDir },
    `modelgate listening on ${gateway.url}`,
  );
  stopOnSignals(() => gateway.stop(), log, options.config.server.shutdownGraceMs);
}

await main();
