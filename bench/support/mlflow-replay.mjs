// A zero-latency MLflow: each distinct read (method, URL, body) is forwarded once to the real server, then answered from memory.
// usage: node mlflow-replay.mjs <tracking_uri> [delay_ms [sleep|spin]]; prints "listening <port>".
// A delay answers each replayed read after delay_ms, idle (sleep) or busy on a CPU (spin, as MLflow's Python is).
import { createServer } from 'node:http';
import { request } from 'undici';

const target = process.argv[2];
const delayMs = Number(process.argv[3] ?? 0);
const spin = process.argv[4] === 'spin';
const wait = () => {
  if (!delayMs) return;
  if (!spin) return new Promise((resolve) => setTimeout(resolve, delayMs));
  const until = performance.now() + delayMs;
  while (performance.now() < until);
};
const answers = new Map();
const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const key = `${req.method} ${req.url} ${body}`;
  let answer = answers.get(key);
  if (!answer) {
    const forwarded = await request(target + req.url, { method: req.method, headers: { 'content-type': 'application/json' }, body: body.length ? body : undefined });
    answer = { status: forwarded.statusCode, body: Buffer.from(await forwarded.body.arrayBuffer()) };
    // Reads only (GET and the POST searches): a write must reach MLflow every time.
    if (req.method === 'GET' || req.url.endsWith('/search')) answers.set(key, answer);
  }
  await wait();
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': answer.body.length });
  res.end(answer.body);
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
