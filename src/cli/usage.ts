/** The help text; also what the example workflow is checked against. */
export const USAGE = `Usage: modelgate <command> [options]

Commands:
  validate  --model M --version V --stage S [--registry R]     print every gate check; exit 1 if any fails
  promote   --model M --version V --stage S [--registry R] [--dry-run] [--comment TEXT] [--idempotency-key KEY]
                                                               exit 0 promoted, 3 approval request opened, 1 gates failed
  approve   ID [--comment TEXT]
  reject    ID --reason TEXT
  rollback  --model M --reason TEXT [--to-version V] [--registry R]
  compare   --model M [--metrics a,b] [--versions 1,2] [--last N] [--minimize loss] [--registry R]
  best      --model M --metric NAME [--minimize] [--stages STAGING,PRODUCTION] [--registry R]
  models list    [--prefix P] [--first N] [--registry R]
  versions list  --model M [--stage S] [--first N] [--registry R]
  audit verify      [--checkpoint FILE|JSON]   walk the hash chain; with a checkpoint, prove the log still extends it; exit 1 if not
  audit checkpoint                             print a signed checkpoint of the log's head (JSON; needs MODELGATE_AUDIT_KEY on the gateway)
  serve     [--config FILE] [--host H] [--port P] [--data-dir D] [--demo]   run the gateway (same as npm start)

Global options:
  --url URL      gateway GraphQL endpoint (env MODELGATE_URL; default http://127.0.0.1:4000/graphql)
  --token TOKEN  API key or OIDC token (env MODELGATE_TOKEN)
  --json         print the exact GraphQL data instead of tables

Exit codes: 0 done, 1 refused (gates, GraphQL error), 2 unusable (bad usage, gateway unreachable, bad token), 3 approval pending.`;
