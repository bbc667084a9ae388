/** Alert delivery activities: the discrepancy is read back from ClickHouse by its event id. A refusal (AlertRefusedError) is never retried. */
import { NotProjectedYetError } from '../domain/errors.js';
import { createAlertActivities } from './alerts.js';
import { discrepancyEvent } from './clickhouse.js';
import type { ActivityDeps } from './deps.js';

export function createAlertDeliveryActivities(deps: ActivityDeps) {
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
      const discrepancy = await discrepancyEvent(deps.clickhouse, input.eventId);
      if (!discrepancy) throw new NotProjectedYetError(input.eventId);
      if (input.sink === 'webhook') await sinks.deliverWebhook(discrepancy);
      else await sinks.logAlert(discrepancy);
    },
  };
}
