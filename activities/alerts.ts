/**
 * Alert sinks for newly detected discrepancies: a webhook (Slack-compatible `text`, HMAC-signed,
 * with the event id as an idempotency key for receivers) and a log line. A sink that is not
 * configured does nothing. Failures say whether to retry: a network fault, 429 or 5xx is a plain
 * Error that Temporal retries; any other 4xx is an AlertRefusedError, never retried.
 */
import { createHmac } from 'node:crypto';
import { AlertRefusedError } from '../domain/errors.js';
import type { DiscrepancyDetected } from '../domain/events.js';
import { describeValue, formatPercent } from '../domain/reconcile/index.js';
import { logLine } from '../adapters/log.js';

export interface AlertSinkConfig {
  webhook?: {
    url: string;
    /** HMAC-SHA256 key; when set, each delivery carries `x-tally-signature: sha256=<hex>` of its body. */
    secret?: string;
    /** @default 10000 */
    timeoutMs?: number;
  };
  /** Write one JSON line per alert, on the log destination (stderr or TALLY_LOG_FILE). @default false */
  log?: boolean;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

const CAUSE_WORDS: Record<DiscrepancyDetected['cause'], string> = {
  different_reference_dates: 'different reference dates',
  partial_coverage: 'partial geographic coverage',
  definition_mismatch: 'a definition mismatch',
  unexplained: 'unexplained',
};

/** The webhook payload: a sentence for chat tools, and the event for machines. */
export function formatAlert(d: DiscrepancyDetected): { text: string; discrepancy: DiscrepancyDetected } {
  const values = d.values.map((v) => describeValue(v)).join(' vs ');
  const text =
    `Discrepancy in ${d.indicator} for ${d.area}: ${values}, ${formatPercent(d.gap.relative)} apart ` +
    `(tolerance ${formatPercent(d.tolerance)}). Likely cause: ${CAUSE_WORDS[d.cause]}. ${d.explanation}`;
  return { text: escapeSlack(text), discrepancy: d };
}

/** `sha256=` and the hex HMAC-SHA256 of the body: receivers recompute it with the shared secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function createAlertActivities(config: AlertSinkConfig, deps: { log?: (line: string) => void } = {}) {
  const log = deps.log ?? logLine;
  return {
    async deliverWebhook(d: DiscrepancyDetected): Promise<void> {
      if (!config.webhook) return;
      await post(config.webhook, d);
    },
    async logAlert(d: DiscrepancyDetected): Promise<void> {
      if (!config.log) return;
      const { text } = formatAlert(d);
      log(JSON.stringify({ alert: 'DiscrepancyDetected', eventId: d.eventId, discrepancyId: d.discrepancyId, cause: d.cause, text }));
    },
  };
}

async function post(webhook: NonNullable<AlertSinkConfig['webhook']>, d: DiscrepancyDetected): Promise<void> {
  const body = JSON.stringify(formatAlert(d));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-tally-delivery': d.eventId };
  if (webhook.secret) headers['x-tally-signature'] = signBody(body, webhook.secret);
  const where = `alert webhook ${redact(webhook.url)} (delivery ${d.eventId})`;
  let response: Response;
  try {
    response = await fetch(webhook.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(webhook.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const reply = (await response.text().catch(() => '')).slice(0, 200);
  if (response.ok) return;
  const message = `${where}: HTTP ${response.status}${reply ? ` ${JSON.stringify(reply)}` : ''}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    throw new AlertRefusedError(message, response.status, d.eventId);
  }
  throw new Error(message);
}

/** Slack reads `&`, `<` and `>` as markup. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Webhook URLs often embed a token (Slack's do): keep only the origin in messages. */
function redact(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'URL';
  }
}
