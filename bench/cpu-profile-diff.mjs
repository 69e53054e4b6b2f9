/**
 * node bench/cpu-profile-diff.mjs OFF.cpuprofile ON.cpuprofile [--functions]
 *
 * What tracing adds per request, from the two gateways' profiles of `npm run bench:tracing -- --cpu-prof DIR`
 * (the main thread's file, *.0.001.cpuprofile). The gateways answer different numbers of requests, so
 * the "on" profile is scaled until graphql-js, Apollo and type-graphql (the same work per request in
 * both) take equal time; each row is then the extra self time per request, in % of the "off" profile.
 */
import { readFileSync } from 'node:fs';

const ANCHOR = new Set(['graphql', '@apollo/server', 'type-graphql']);
const root = `${process.cwd()}/`;

function load(file, byFunction) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map();
  let busy = 0;
  let anchor = 0;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id);
    const time = profile.timeDeltas[i] ?? 0;
    if (frame.functionName === '(idle)') return;
    busy += time;
    const url = frame.url.replace('file://', '');
    const pkg = url.includes('node_modules/') ? url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1') : url.startsWith(root) ? url.slice(root.length).split('/').slice(0, 2).join('/') : url || frame.functionName;
    if (ANCHOR.has(pkg)) anchor += time;
    const key = byFunction ? `${frame.functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(root, '')}:${frame.lineNumber}` : pkg;
    self.set(key, (self.get(key) ?? 0) + time);
  });
  return { self, busy, anchor };
}

const [offFile, onFile, flag] = process.argv.slice(2);
if (!offFile || !onFile) throw new Error('usage: node bench/cpu-profile-diff.mjs OFF.cpuprofile ON.cpuprofile [--functions]');
const off = load(offFile, flag === '--functions');
const on = load(onFile, flag === '--functions');
const scale = off.anchor / on.anchor;
console.log(`busy time per request, on ÷ off ≈ ${((on.busy * scale) / off.busy).toFixed(3)} (start-up's module loading included)`);
const rows = [...new Set([...off.self.keys(), ...on.self.keys()])].map((key) => [key, (((on.self.get(key) ?? 0) * scale - (off.self.get(key) ?? 0)) / off.busy) * 100]);
for (const [key, extra] of rows.sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${extra.toFixed(2).padStart(6)} %  ${key}`);
