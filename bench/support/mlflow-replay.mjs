// A zero-latency MLflow: each distinct read (method, URL, body) is forwarded once to the real server, then answered from memory.
// usage: node mlflow-replay.mjs <tracking_uri>; prints "listening <port>".
import { createServer } from 'node:http';
import { request } from 'undici';

const target = process.argv[2];
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
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': answer.body.length });
  res.end(answer.body);
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
