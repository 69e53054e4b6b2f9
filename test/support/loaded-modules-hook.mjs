// The load hook of loaded-modules.mjs: one line per module, as the module is loaded.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let file;
export function initialize(data) {
  file = data.file;
}
export async function load(url, context, next) {
  const loaded = await next(url, context);
  appendFileSync(file, `${url.startsWith('file:') ? fileURLToPath(url) : url}\n`);
  return loaded;
}
