/**
 * The explorer's server never dies on a request: malformed request targets get a 400 JSON answer,
 * a handler that fails gets a 500 JSON answer, and the server keeps serving. No engine is needed:
 * the ClickHouse client points at a closed port, so every query fails the way an outage would.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExplorer, type RunningExplorer } from '../../../web/server.js';

/** Sends raw bytes and returns what the server answered before it closed the connection (or 2 s passed). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(2000, () => socket.end());
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      // One answer is enough: a keep-alive connection would otherwise wait for the timeout.
      if (/\r\n\r\n/.test(answer) && /(\}|\r\n0)$/.test(answer.trim())) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(request);
  });
}

function status(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

/** The answer's JSON body, de-chunked when it came chunked. */
function body(answer: string): { error?: string } {
  const split = answer.indexOf('\r\n\r\n');
  let text = answer.slice(split + 4);
  if (/transfer-encoding: chunked/i.test(answer.slice(0, split))) {
    let joined = '';
    for (let at = 0; ; ) {
      const eol = text.indexOf('\r\n', at);
      const size = parseInt(text.slice(at, eol), 16);
      if (!size) break;
      joined += text.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    text = joined;
  }
  return JSON.parse(text) as { error?: string };
}

describe('the explorer server under malformed requests', () => {
  let explorer: RunningExplorer;
  let port: number;
  beforeAll(async () => {
    explorer = await startExplorer({ settings: { url: 'http://127.0.0.1:9', username: 'default', password: '', database: 'tally' }, port: 0 });
    port = Number(new URL(explorer.url).port);
  });
  afterAll(async () => {
    await explorer?.close();
  });

  it.each([
    ['GET //[::1 HTTP/1.1'],
    ['GET http://%zz/ HTTP/1.1'],
    ['GET http://a:99999/ HTTP/1.1'],
    ['GET //a:99999/api/figures HTTP/1.1'],
  ])('answers %s with a 400 JSON error and stays up', async (line) => {
    const answer = await raw(port, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(status(answer), answer).toBe(400);
    expect(answer).toMatch(/content-type: application\/json/i);
    expect(body(answer).error).toMatch(/^expected a request target/);
    const after = await raw(port, 'GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(status(after)).toBe(200);
  });

  it('answers bytes that are not HTTP with a 400 and stays up', async () => {
    const answer = await raw(port, '\x00\x01\x02 garbage\r\n\r\n');
    expect(status(answer), answer).toBe(400);
    const after = await raw(port, 'GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(status(after)).toBe(200);
  });

  it('answers an endpoint whose query fails (ClickHouse unreachable) with a 500 JSON error, one line', async () => {
    const answer = await raw(port, 'GET /api/figures?indicator=idps HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(status(answer), answer).toBe(500);
    const error = body(answer).error ?? '';
    expect(error).not.toContain('\n');
    expect(error.length).toBeLessThanOrEqual(300);
  });

  it('answers an absolute-form target like its path', async () => {
    const answer = await raw(port, 'GET http://x/index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(status(answer)).toBe(200);
  });
});
