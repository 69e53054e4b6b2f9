import type { Command } from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const longFlags = (c: Command) => c.options.map((o) => o.long).filter((f): f is string => Boolean(f));
/** Everything that may follow a top-level command: its subcommands and every flag below it. */
const wordsUnder = (c: Command): string[] => [...c.commands.map((s) => s.name()), ...longFlags(c), ...c.commands.flatMap(longFlags)];
const visible = (program: Command) => program.commands.filter((c) => c.name() !== 'help');

/** A completion script generated from the command tree, so it never drifts from the commands. */
export function completionScript(program: Command, shell: Shell): string {
  return shell === 'fish' ? fish(program) : bash(program, shell === 'zsh');
}

function bash(program: Command, zsh: boolean): string {
  const top = [...visible(program).map((c) => c.name()), ...longFlags(program)];
  const cases = visible(program)
    .map((c) => `    ${[c.name(), ...c.aliases()].join('|')}) words="${[...new Set([...wordsUnder(c), ...longFlags(program).filter((f) => f !== '--version')])].join(' ')}" ;;`)
    .join('\n');
  return [
    zsh ? '#compdef modelgate\nautoload -U +X bashcompinit && bashcompinit' : '# modelgate bash completion',
    '_modelgate() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" words',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    words="${top.join(' ')}"`,
    '  else',
    '    case "${COMP_WORDS[1]}" in',
    cases,
    '    *) words="" ;;',
    '    esac',
    '  fi',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    'complete -o default -F _modelgate modelgate',
  ].join('\n');
}

const quote = (text: string) => `'${text.replace(/'/g, "\\'")}'`;

function fish(program: Command): string {
  const lines = ['# modelgate fish completion', 'complete -c modelgate -f'];
  for (const c of visible(program)) {
    lines.push(`complete -c modelgate -n __fish_use_subcommand -a ${c.name()} -d ${quote(c.description())}`);
    for (const s of c.commands) lines.push(`complete -c modelgate -n '__fish_seen_subcommand_from ${c.name()}' -a ${s.name()} -d ${quote(s.description())}`);
    for (const o of [...c.options, ...c.commands.flatMap((s) => s.options)]) {
      if (o.long) lines.push(`complete -c modelgate -n '__fish_seen_subcommand_from ${c.name()}' -l ${o.long.slice(2)}${o.required ? ' -r' : ''} -d ${quote(o.description)}`);
    }
  }
  for (const o of program.options) if (o.long) lines.push(`complete -c modelgate -l ${o.long.slice(2)} -d ${quote(o.description)}`);
  return lines.join('\n');
}
