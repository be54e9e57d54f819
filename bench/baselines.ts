import http from 'node:http';
import express from 'express';

/**
 * The two ceilings /v1/assign is measured against, in their own process:
 *   node dist/bench/baselines.js http <port> <responseBytes>
 *   node dist/bench/baselines.js express <port> <responseBytes>
 * Both parse the same JSON request body and answer a fixed JSON body of the given size, so
 * the difference to Verdict is everything Verdict does beyond HTTP and JSON.
 */
const [mode, portArg, sizeArg] = process.argv.slice(2);
const port = Number(portArg);
const size = Number(sizeArg) || 400;
const filler = 'x'.repeat(Math.max(0, size - '{"unitId":"","assignments":[]}'.length));
const answer = JSON.stringify({ unitId: filler, assignments: [] });

if (mode === 'http') {
  http
    .createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (body) JSON.parse(body);
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('Content-Length', Buffer.byteLength(answer));
        res.end(answer);
      });
    })
    .listen(port, '127.0.0.1');
} else if (mode === 'express') {
  const app = express();
  app.use(express.json());
  app.post('/v1/assign', (_req, res) => void res.type('application/json').send(answer));
  app.listen(port, '127.0.0.1');
} else {
  console.error('usage: baselines.js http|express <port> <responseBytes>');
  process.exit(2);
}
