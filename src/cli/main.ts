import { run } from './run.ts';

const terminalLine = (line: string | null) => process.stderr.write(line === null ? '\n' : `\r\x1b[2K${line}`);

const code = await run(process.argv.slice(2), { env: process.env, out: (s) => console.log(s), err: (s) => console.error(s), progress: process.stderr.isTTY ? terminalLine : undefined });
if (code >= 0) process.exitCode = code;
