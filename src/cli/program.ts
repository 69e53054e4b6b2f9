import { Command, Option } from 'commander';
import { createClient } from '@modelgate/client';
import * as core from './commands.ts';
import { completionScript, SHELLS, type Shell } from './completion.ts';
import type { CommandContext, Format } from './context.ts';
import { EXIT_CODES_HELP, UsageError } from './exit.ts';
import * as p from './parse.ts';
import * as story from './story.ts';
import * as ev from './events.ts';
import * as copyCommands from './copy.ts';
import * as cardCommands from './card.ts';

export interface Io {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** Resolves when a following command (events tail) should stop; default: SIGINT. */
  stop?: Promise<void>;
  /** Redraws a status line on stderr; only when stderr is a terminal. */
  progress?(line: string | null): void;
}

type Opts = Record<string, unknown>;
/** What an action hands back: the exit code. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- positional arguments are strings or string lists, per command
type Action = (ctx: CommandContext, args: any[], opts: Opts) => Promise<number>;

const VERSION_OPTION = '-v, --model-version <version>';

/** Builds the `modelgate` command tree; `state.exitCode` holds the chosen command's exit code. */
export function buildProgram(io: Io, version: string, state: { exitCode: number }, jsonErrors = false): Command {
  const program = new Command('modelgate')
    .description('Govern ML model versions through a modelgate gateway: gates, promotions, approvals, rollbacks, audit.')
    .version(version, '-V, --version', "print modelgate's version")
    .option('--url <url>', 'gateway GraphQL endpoint (env MODELGATE_URL; default http://127.0.0.1:4000/graphql)')
    .option('--token <token>', 'API key or OIDC token (env MODELGATE_TOKEN)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .option('--json', 'same as -o json: the GraphQL data on stdout, errors as one JSON object on stderr')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .showSuggestionAfterError()
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')), outputError: (s, write) => (jsonErrors ? undefined : write(s.replace(/^error: /, 'modelgate: '))) })
    .exitOverride();

  const act = (action: Action) =>
    async function (this: Command, ...raw: unknown[]) {
      const opts = this.optsWithGlobals();
      const args = raw.slice(0, this.registeredArguments.length);
      const format: Format = opts.json ? 'json' : (opts.output as Format);
      const ctx: CommandContext = {
        client: createClient({ url: (opts.url as string) ?? io.env.MODELGATE_URL ?? 'http://127.0.0.1:4000/graphql', token: (opts.token as string) ?? io.env.MODELGATE_TOKEN }),
        format,
        print: io.out,
        note: io.err,
        progress: io.progress,
      };
      state.exitCode = await action(ctx, args, opts);
    };
  const cmd = (parent: Command, name: string, description: string) => parent.command(name).description(description);
  const model = (c: Command) => c.option('--registry <id>', 'registry id (default: the gateway default)').requiredOption('--model <name>', 'registered model name');
  const version_ = (c: Command) => c.requiredOption(VERSION_OPTION, 'model version');
  const list = (c: Command) => c.option('--limit <n>', 'stop after n rows (default: all, following cursors)', p.positiveInt).option('--after <cursor>', 'start after this cursor (printed when a list stops early)');
  const stageOpt = (c: Command) => c.requiredOption('--stage <stage>', 'target stage: staging, production, archived, none', p.stage);

  stageOpt(version_(model(cmd(program, 'validate', 'print every gate check for a promotion; exit 1 if any fails (alias: gates)'))))
    .alias('gates')
    .action(act((ctx, _a, o) => core.validate(ctx, o as never)));

  stageOpt(version_(model(cmd(program, 'promote', 'promote a version; exit 0 promoted, 3 approval request opened, 1 gates failed, 4 not permitted'))))
    .option('--dry-run', 'evaluate only; nothing changes')
    .option('--comment <text>', 'recorded in the audit log and the approval request')
    .option('--idempotency-key <key>', 'a retry with the same key returns the first result')
    .action(act((ctx, _a, o) => core.promote(ctx, o as never)));
  const requestTarget = (c: Command) =>
    c
      .argument('[id]', 'approval request id (or name it by --model, --model-version and --stage)')
      .option('--registry <id>', 'registry id')
      .option('--model <name>', 'model of the open request')
      .option(VERSION_OPTION, 'version of the open request')
      .option('--stage <stage>', 'target stage of the open request', p.stage);
  requestTarget(cmd(program, 'approve', 'approve a pending request (as someone other than the requester, unless the policy allows self-approval)'))
    .option('--comment <text>', 'recorded with the vote')
    .option('--idempotency-key <key>', 'a retry with the same key (give the request id) returns the first result')
    .action(act((ctx, [id], o) => core.approve(ctx, id, o)));
  requestTarget(cmd(program, 'reject', 'reject a pending request'))
    .requiredOption('--reason <text>', 'why')
    .option('--idempotency-key <key>', 'a retry with the same key (give the request id) returns the first result')
    .action(act((ctx, [id], o) => core.reject(ctx, id, o as never)));
  model(cmd(program, 'rollback', 'put the previous (or a given) version back in production'))
    .requiredOption('--reason <text>', 'why, for the audit log')
    .option('--to-version <version>', 'the version to restore (default: the one production had before)')
    .action(act((ctx, _a, o) => core.rollback(ctx, o as never)));

  model(cmd(program, 'register', 'register a new version of a model (creating the model if needed)'))
    .option('--source <uri>', 'where the artefact lives (s3://…, gs://…, file://…)')
    .option('--run-id <id>', 'the training run')
    .option('--description <text>', 'what this version is')
    .option('--tag <key=value>', 'a tag (repeatable)', p.pair)
    .option('--metric <key=value>', 'a metric, a number (repeatable)', p.metricPair)
    .option('--param <key=value>', 'a parameter (repeatable)', p.pair)
    .option('--signature <file>', 'JSON file: {"inputs": [{"name","type"}], "outputs": […]}')
    .option('--bump <part>', 'semantic version bump: major, minor, patch', p.bump)
    .option('--card <file>', 'JSON file: the model card, {"training": {…}, "dependencies": [{"name","version"}], "deployment": {…}}')
    .action(act((ctx, _a, o) => story.register(ctx, o as never)));

  const card = cmd(program, 'card', "a version's model card: training, dependencies, deployment, lineage");
  version_(model(cmd(card, 'show', 'print the card (field and value), or its Markdown with --markdown')))
    .option('--markdown', 'the card rendered as Markdown (the description layout)')
    .action(act((ctx, _a, o) => cardCommands.show(ctx, o as never)));
  version_(model(cmd(card, 'set', 'change the fields given, keep the rest (or replace sections from --file); audited; UNSUPPORTED on Vertex')))
    .option('--file <file>', 'JSON file: a CardInput whose sections replace the stored sections')
    .option('--framework <name>', 'training framework (sklearn, pytorch, …)')
    .option('--algorithm <name>', 'training algorithm')
    .option('--training-data <uri>', 'where the training data is')
    .option('--data-version <version>', 'the training data version')
    .option('--code-version <commit>', 'the code that trained it (a git commit)')
    .option('--hyperparameter <key=value>', 'a hyperparameter (repeatable)', p.pair)
    .option('--dependency <name=version>', 'a dependency and its version (repeatable)', p.pair)
    .option('--serving-framework <name>', 'serving framework')
    .option('--endpoint <url>', 'where it is served')
    .option('--latency-p99-ms <ms>', 'measured p99 latency', p.nonNegative)
    .option('--throughput-rps <rps>', 'measured throughput', p.nonNegative)
    .option('--parent-version <uri>', 'the version it was fine-tuned or copied from (registry:models:/name/3)')
    .option('--idempotency-key <key>', 'a retry with the same key returns the first result')
    .action(act((ctx, _a, o) => cardCommands.set(ctx, o as never)));
  model(cmd(program, 'describe', "set a model's description, or a version's with --model-version"))
    .argument('<text>', 'the description')
    .option(VERSION_OPTION, 'describe this version instead of the model')
    .action(act((ctx, [text], o) => story.describe(ctx, text!, o as never)));

  const tag = cmd(program, 'tag', "set or delete tags on a model, or a version's with --model-version");
  model(cmd(tag, 'set', 'set tags'))
    .argument('<key=value...>', 'tags to set')
    .option(VERSION_OPTION, 'tag this version instead of the model')
    .action(act((ctx, [pairs], o) => story.tagSet(ctx, pairsOf(pairs), o as never)));
  model(cmd(tag, 'delete', 'delete tags'))
    .argument('<key...>', 'tag keys to delete')
    .option(VERSION_OPTION, 'untag this version instead of the model')
    .action(act((ctx, [keys], o) => story.tagDelete(ctx, keys, o as never)));

  const alias = cmd(program, 'alias', 'point an alias (champion, canary, …) at a version, or remove it');
  version_(model(cmd(alias, 'set', 'set an alias'))).argument('<alias>', 'alias name').action(act((ctx, [name], o) => story.aliasSet(ctx, name!, o as never)));
  model(cmd(alias, 'delete', 'delete an alias')).argument('<alias>', 'alias name').action(act((ctx, [name], o) => story.aliasDelete(ctx, name!, o as never)));

  const degradation = cmd(program, 'degradation', 'compare a live metric with the production version');
  model(cmd(degradation, 'check', 'exit 0 healthy, 5 degraded, 6 degraded and rolled back'))
    .requiredOption('--metric <name>', 'the metric, as recorded on the version')
    .requiredOption('--observed <number>', 'the value observed live', p.number)
    .option('--tolerance <number>', 'how much worse counts as healthy', p.nonNegative, 0)
    .option('--minimize', 'lower is better (e.g. loss, latency)')
    .option('--auto-rollback', 'roll back when degraded')
    .action(act((ctx, _a, o) => story.degradationCheck(ctx, o as never)));

  model(cmd(program, 'compare', 'metrics of versions side by side, with the best per metric'))
    .option('--metrics <a,b>', 'metrics to show (default: all)', p.csv)
    .option('--versions <1,2>', 'versions to show', p.csv)
    .option('--last <n>', 'the last n versions', p.positiveInt)
    .option('--minimize <a,b>', 'metrics where lower is better', p.csv)
    .action(act((ctx, _a, o) => core.compare(ctx, o as never)));
  model(cmd(program, 'best', 'the version with the best recorded metric; exit 1 if none recorded it'))
    .requiredOption('--metric <name>', 'the metric')
    .option('--minimize', 'lower is better')
    .option('--stages <a,b>', 'only versions in these stages', p.stages)
    .action(act((ctx, _a, o) => core.best(ctx, o as never)));

  const models = cmd(program, 'models', 'registered models');
  list(cmd(models, 'list', 'list models'))
    .option('--registry <id>', 'registry id')
    .option('--prefix <p>', 'names starting with p')
    .action(act((ctx, _a, o) => story.modelsList(ctx, o)));
  const versions = cmd(program, 'versions', 'versions of a model');
  list(model(cmd(versions, 'list', 'list versions, newest first')))
    .option('--stage <stage>', 'only this stage', p.stage)
    .action(act((ctx, _a, o) => story.versionsList(ctx, o as never)));
  const approvals = cmd(program, 'approvals', 'approval requests');
  list(cmd(approvals, 'list', 'list approval requests, newest first (default: the pending queue)'))
    .option('--registry <id>', 'registry id')
    .option('--model <name>', 'only this model')
    .option('--status <status>', 'pending, approved, rejected, superseded, expired', p.approvalStatus)
    .action(act((ctx, _a, o) => story.approvalsList(ctx, o)));

  const audit = cmd(program, 'audit', 'the hash-chained audit log');
  list(cmd(audit, 'list', 'list audit events in order'))
    .option('--registry <id>', 'registry id')
    .option('--model <name>', 'only this model')
    .action(act((ctx, _a, o) => story.auditList(ctx, o)));
  cmd(audit, 'verify', "walk the hash chain; with a checkpoint, prove the log still extends it; exit 1 if not")
    .option('--checkpoint <file|json>', 'a checkpoint printed by `modelgate audit checkpoint`')
    .action(act((ctx, _a, o) => core.auditVerify(ctx, o)));
  cmd(audit, 'checkpoint', "print a signed checkpoint of the log's head (JSON; needs MODELGATE_AUDIT_KEY on the gateway)").action(act((ctx) => core.auditCheckpoint(ctx)));

  const events = cmd(program, 'events', 'the stream of registry events (WebSocket subscription)');
  cmd(events, 'tail', 'follow events as they happen (Ctrl-C stops); reconnects and resumes after the last seq printed')
    .option('--registry <id>', 'one registry (default: all)')
    .option('--model <name>', 'one model (default: every model in sight)')
    .option('--types <list>', `comma-separated: ${ev.EVENT_TYPES.join(', ')}`, ev.eventTypes)
    .option('--after <seq>', 'replay the log after this seq first (0: from the beginning)', ev.afterSeq)
    .action(async function (this: Command) {
      const opts = this.optsWithGlobals();
      state.exitCode = await ev.tail({
        url: (opts.url as string) ?? io.env.MODELGATE_URL ?? 'http://127.0.0.1:4000/graphql',
        token: (opts.token as string) ?? io.env.MODELGATE_TOKEN,
        registry: opts.registry as string | undefined,
        model: opts.model as string | undefined,
        types: opts.types as string[] | undefined,
        after: opts.after as number | undefined,
        json: Boolean(opts.json) || opts.output === 'json',
        print: io.out,
        note: io.err,
        until: io.stop ?? new Promise<void>((resolve) => process.once('SIGINT', () => resolve())),
      });
    });

  const fromModel = (c: Command) => c.option('--from-registry <id>', 'registry to copy from (default: the gateway default)').option('--to-registry <id>', 'registry to copy into').option('--to-model <name>', 'model name there (default: the same name)');
  version_(fromModel(cmd(program, 'copy', 'copy a version into another registry (tagged modelgate.copied_from; copying again returns the copy); exit 3 approval pending')))
    .requiredOption('--model <name>', 'registered model name in the source registry')
    .option('--stage <stage>', 'take the copy to this stage through the target gates and approvals', p.stage)
    .option('--dry-run', 'say what would be created, transformed and dropped; nothing changes')
    .option('--strict', 'refuse instead of transforming or dropping anything')
    .option('--idempotency-key <key>', 'a retry with the same key returns the first result')
    .action(act((ctx, _a, o) => copyCommands.copy(ctx, o as never)));
  fromModel(cmd(program, 'migrate', 'copy every version of a model into another registry, as a resumable job; a progress bar on a terminal, JSON lines otherwise'))
    .option('--model <name>', 'registered model name in the source registry')
    .option('--versions <1,2>', 'only these versions', p.csv)
    .option('--stages <a,b>', 'only versions in these stages', p.stages)
    .option('--strict', 'refuse (per version) instead of transforming or dropping anything')
    .option('--follow <id>', 'follow a migration already started instead of starting one')
    .option('--interval <ms>', 'how often progress is read', p.positiveInt, 500)
    .action(act((ctx, _a, o) => copyCommands.migrate(ctx, o as never)));

  cmd(program, 'registries', 'the registries behind the gateway and their health; exit 1 if one is down').action(act((ctx) => story.registries(ctx)));

  cmd(program, 'completion', 'print a shell completion script: bash, zsh or fish')
    .argument('<shell>', SHELLS.join(', '))
    .addHelpText('after', '\nInstall: modelgate completion bash > /etc/bash_completion.d/modelgate\n         modelgate completion zsh > "${fpath[1]}/_modelgate"\n         modelgate completion fish > ~/.config/fish/completions/modelgate.fish')
    .action(function (this: Command, shell: string) {
      if (!(SHELLS as readonly string[]).includes(shell)) this.error(`modelgate: completion: unknown shell '${shell}' (expected ${SHELLS.join(', ')})`, { exitCode: 2 });
      io.out(completionScript(program, shell as Shell));
      state.exitCode = 0;
    });
  cmd(program, 'serve', 'run the gateway (same as npm start): [--config FILE] [--host H] [--port P] [--data-dir D] [--demo]').allowUnknownOption().helpOption(false);
  return program;
}

function pairsOf(args: string[]): [string, string][] {
  try {
    return args.reduce<[string, string][]>((acc, text) => p.pair(text, acc), []);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
