/**
 * Alert delivery activities: the discrepancy is read back from ClickHouse by its event id. One not
 * projected yet is asked for again (NotProjectedYetError); a refusal (AlertRefusedError) is final.
 */
import type { DiscrepancyDetected } from '../domain/events.js';
import { AlertRefusedError, NotProjectedYetError } from '../domain/errors.js';
import { alertDeliveries } from '../adapters/metrics.js';
import { createAlertActivities } from './alerts.js';
import { activityLogger } from './log.js';
import { discrepancyEvent } from './clickhouse.js';
import type { ActivityDeps } from './deps.js';

/** Where a discrepancy event is read from. @default its row in ClickHouse */
export type DiscrepancyReader = (eventId: string) => Promise<DiscrepancyDetected | undefined>;

export function createAlertDeliveryActivities(
  deps: ActivityDeps,
  read: DiscrepancyReader = (eventId) => discrepancyEvent(deps.clickhouse, eventId),
) {
  const sinks = createAlertActivities({ webhook: deps.config.alerts.webhook, log: deps.config.alerts.log });
  return {
    /** The sinks configured for this deployment, in delivery order. */
    async alertSinks(): Promise<Array<'webhook' | 'log'>> {
      const out: Array<'webhook' | 'log'> = [];
      if (deps.config.alerts.webhook) out.push('webhook');
      if (deps.config.alerts.log) out.push('log');
      return out;
    },
    async deliverAlert(input: { eventId: string; sink: 'webhook' | 'log' }): Promise<void> {
      const discrepancy = await read(input.eventId);
      if (!discrepancy) throw new NotProjectedYetError(input.eventId);
      const log = activityLogger({ eventId: input.eventId, sink: input.sink, discrepancyId: discrepancy.discrepancyId });
      try {
        if (input.sink === 'webhook') await sinks.deliverWebhook(discrepancy);
        else await sinks.logAlert(discrepancy);
      } catch (err) {
        const result = err instanceof AlertRefusedError ? 'refused' : 'failed';
        alertDeliveries.inc({ sink: input.sink, result });
        log.warn({ result, err: err instanceof Error ? err.message : String(err) }, `alert ${result}`);
        throw err;
      }
      alertDeliveries.inc({ sink: input.sink, result: 'delivered' });
      // The log sink's own line is the alert: its delivery is a debug line.
      log[input.sink === 'log' ? 'debug' : 'info']({ result: 'delivered' }, 'alert delivered');
    },
  };
}
