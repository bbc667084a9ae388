import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcile } from '../../../domain/reconcile/index.js';
import { createAlertActivities, formatAlert, signBody } from '../../../activities/alerts.js';
import { AlertRefusedError } from '../../../domain/errors.js';
import { cmp2020, dtm2019, policy } from '../reconcile/fixtures.js';

const [discrepancy] = reconcile([dtm2019, cmp2020], policy).discrepancies;
if (!discrepancy) throw new Error('the seeds\' case should raise a discrepancy');
const secret = 'shared-secret';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let url: string;
let received: Received[] = [];
let status = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'refused');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tally`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

beforeEach(() => {
  received = [];
  status = 200;
});

function verifies(body: string, signature: string | string[] | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(String(signature));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('formatAlert', () => {
  it('says what differs, where, by how much and why', () => {
    const { text, discrepancy: d } = formatAlert(discrepancy);
    expect(d).toBe(discrepancy);
    expect(text).toBe(
      'Discrepancy in idps for MLI: cmp 171,000 on 2020-03-31 vs dtm 160,000 on 2019-07-31, 6.4% apart (tolerance 5%). ' +
        'Likely cause: different reference dates. dtm 160,000 on 2019-07-31 vs cmp 171,000 on 2020-03-31: 6.4% apart; the reference dates differ by 244 days',
    );
  });

  it('escapes Slack markup', () => {
    expect(formatAlert({ ...discrepancy, explanation: 'a < b & c' }).text).toContain('a &lt; b &amp; c');
  });
});

describe('signBody', () => {
  it('is sha256= and the hex HMAC-SHA256 of the body', () => {
    expect(signBody('{}', 'key')).toBe(`sha256=${createHmac('sha256', 'key').update('{}').digest('hex')}`);
    expect(signBody('{}', 'key')).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signBody('{}', 'other')).not.toBe(signBody('{}', 'key'));
  });
});

describe('deliverWebhook', () => {
  it('POSTs {text, discrepancy} as JSON, signed, with the event id as delivery key', async () => {
    await createAlertActivities({ webhook: { url, secret } }).deliverWebhook(discrepancy);
    expect(received).toHaveLength(1);
    const [{ headers, body }] = received as [Received];
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-tally-delivery']).toBe(discrepancy.eventId);
    expect(verifies(body, headers['x-tally-signature'])).toBe(true);
    const payload = JSON.parse(body) as { text: string; discrepancy: unknown };
    expect(payload.text).toBe(formatAlert(discrepancy).text);
    expect(payload.text).toContain('different reference dates');
    expect(payload.discrepancy).toEqual(discrepancy);
  });

  it('sends no signature without a secret', async () => {
    await createAlertActivities({ webhook: { url } }).deliverWebhook(discrepancy);
    expect(received[0]?.headers['x-tally-signature']).toBeUndefined();
  });

  it('throws a retryable Error on 500 and 429', async () => {
    for (const code of [500, 429]) {
      status = code;
      const failure = await createAlertActivities({ webhook: { url, secret } }).deliverWebhook(discrepancy).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(AlertRefusedError);
      expect((failure as Error).name).toBe('Error');
      expect((failure as Error).message).toContain(`HTTP ${code}`);
    }
  });

  it('throws an AlertRefusedError on 400, never retried', async () => {
    status = 400;
    const failure = await createAlertActivities({ webhook: { url, secret } }).deliverWebhook(discrepancy).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AlertRefusedError);
    expect(failure).toMatchObject({ name: 'AlertRefusedError', type: 'AlertRefused', nonRetryable: true });
    expect((failure as AlertRefusedError).status).toBe(400);
    expect((failure as AlertRefusedError).message).toContain('HTTP 400 "refused"');
    expect((failure as AlertRefusedError).message).not.toContain('/hooks/tally');
  });

  it('throws a retryable Error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const failure = await createAlertActivities({ webhook: { url: `http://127.0.0.1:${port}/` } }).deliverWebhook(discrepancy).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(AlertRefusedError);
  });

  it('does nothing when no webhook is configured', async () => {
    await expect(createAlertActivities({}).deliverWebhook(discrepancy)).resolves.toBeUndefined();
    expect(received).toEqual([]);
  });
});

describe('logAlert', () => {
  it('writes one JSON line with the alert text when the log sink is on', async () => {
    const lines: string[] = [];
    await createAlertActivities({ log: true }, { log: (l) => lines.push(l) }).logAlert(discrepancy);
    await createAlertActivities({ log: false }, { log: (l) => lines.push(l) }).logAlert(discrepancy);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ eventId: discrepancy.eventId, cause: 'different_reference_dates', text: formatAlert(discrepancy).text });
  });
});
