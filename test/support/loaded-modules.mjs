// `node --import ./test/support/loaded-modules.mjs`: appends every module the process loads to
// $MODELGATE_LOADED_MODULES, ESM through a load hook (its own thread), CommonJS from require's cache at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.MODELGATE_LOADED_MODULES;
if (!file) throw new Error('set MODELGATE_LOADED_MODULES to the file to write');
register(new URL('./loaded-modules-hook.mjs', import.meta.url), { data: { file } });
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(file, Object.keys(cache).map((path) => `${path}\n`).join('')));
