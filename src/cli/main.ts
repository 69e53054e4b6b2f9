import { parseArgs } from 'node:util';
import { GatewayError, GatewayUnreachable, createClient } from '../client/index.ts';
import * as commands from './commands.ts';
import { EXIT, UsageError, type CommandContext, type Options } from './commands.ts';
import { USAGE } from './usage.ts';



const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
  registry: { type: 'string' },
  model: { type: 'string' },
  version: { type: 'string' },
  stage: { type: 'string' },
  'dry-run': { type: 'boolean' },
  comment: { type: 'string' },
  'idempotency-key': { type: 'string' },
  reason: { type: 'string' },
  'to-version': { type: 'string' },
  metrics: { type: 'string' },
  versions: { type: 'string' },
  last: { type: 'string' },
  minimize: { type: 'string' },
  metric: { type: 'string' },
  stages: { type: 'string' },
  prefix: { type: 'string' },
  first: { type: 'string' },
  checkpoint: { type: 'string' },
} as const;

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env, out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  if (argv[0] === 'serve') {
    process.argv = [process.argv[0]!, 'modelgate', ...argv.slice(1)];
    await import('../server/main.ts');
    return -1; // the server keeps the process alive
  }
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    // `best --minimize` is a flag; everywhere else --minimize takes a list.
    const args = argv[0] === 'best' ? argv.map((a) => (a === '--minimize' ? '--minimize=true' : a)) : argv;
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    err(`modelgate: ${(error as Error).message}`);
    return EXIT.UNUSABLE;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    out(USAGE);
    return values.help ? EXIT.OK : EXIT.UNUSABLE;
  }
  const options: Options = { ...values, minimize: argv[0] === 'best' ? values.minimize !== undefined : values.minimize };
  const ctx: CommandContext = {
    client: createClient({ url: values.url ?? env.MODELGATE_URL ?? 'http://127.0.0.1:4000/graphql', token: values.token ?? env.MODELGATE_TOKEN }),
    json: values.json === true,
    print: out,
  };
  const [command, sub] = positionals;
  try {
    switch (command) {
      case 'validate':
        return await commands.validate(ctx, options);
      case 'promote':
        return await commands.promote(ctx, options);
      case 'approve':
        return await commands.approve(ctx, options, sub);
      case 'reject':
        return await commands.reject(ctx, options, sub);
      case 'rollback':
        return await commands.rollback(ctx, options);
      case 'compare':
        return await commands.compare(ctx, options);
      case 'best':
        return await commands.best(ctx, options);
      case 'models':
        if (sub === 'list') return await commands.modelsList(ctx, options);
        break;
      case 'versions':
        if (sub === 'list') return await commands.versionsList(ctx, options);
        break;
      case 'audit':
        if (sub === 'verify') return await commands.auditVerify(ctx, options);
        if (sub === 'checkpoint') return await commands.auditCheckpoint(ctx);
        break;
    }
    err(`modelgate: unknown command '${positionals.join(' ')}'\n\n${USAGE}`);
    return EXIT.UNUSABLE;
  } catch (error) {
    if (error instanceof UsageError) {
      err(`modelgate: ${error.message}`);
      return EXIT.UNUSABLE;
    }
    if (error instanceof GatewayUnreachable) {
      err(`modelgate: ${error.message}`);
      return EXIT.UNUSABLE;
    }
    if (error instanceof GatewayError) {
      if (ctx.json) out(JSON.stringify({ errors: error.errors }, null, 2));
      err(`modelgate: ${error.code}: ${error.message}`);
      return error.code === 'UNAUTHENTICATED' ? EXIT.UNUSABLE : EXIT.FAILED;
    }
    err(`modelgate: ${(error as Error).message}`);
    return EXIT.FAILED;
  }
}

const code = await run(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
