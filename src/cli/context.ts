import { stringify } from 'yaml';
import type { GatewayClient } from '@modelgate/client';

export type Format = 'table' | 'json' | 'yaml';

export interface CommandContext {
  client: GatewayClient;
  format: Format;
  /** One line (or block) on stdout. */
  print(text: string): void;
  /** A note for people on stderr (e.g. "more rows"); never mixed into data on stdout. */
  note(text: string): void;
  /** Redraws one status line on a terminal (null clears it); absent when stderr is not a terminal. */
  progress?(line: string | null): void;
}

/** Prints the data as JSON or YAML, or runs the human rendering for tables. */
export function emit(ctx: CommandContext, data: unknown, human: () => void): void {
  if (ctx.format === 'json') ctx.print(JSON.stringify(data, null, 2));
  else if (ctx.format === 'yaml') ctx.print(stringify(data).trimEnd());
  else human();
}
