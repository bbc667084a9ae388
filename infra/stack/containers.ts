import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { KafkaContainer, type StartedKafkaContainer } from '@testcontainers/kafka';
import { ClickHouseContainer, type StartedClickHouseContainer } from '@testcontainers/clickhouse';
import type { StackSettings } from './settings.js';

/** Images for machines with Docker; the same ones infra/compose.yaml runs. */
export const IMAGES = {
  kafka: 'apache/kafka:4.1.1',
  temporal: 'temporalio/temporal:1.5.1',
  clickhouse: 'clickhouse/clickhouse-server:25.8',
} as const;

/** True when a container runtime (Docker, Podman…) answers within the timeout. TALLY_STACK=local never asks (chooseProvider). */
export async function containerRuntimeAnswers(timeoutMs = 3000): Promise<boolean> {
  try {
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs)),
    ]);
    return Boolean(client);
  } catch {
    return false;
  }
}

export class ContainerStack {
  private constructor(
    readonly settings: StackSettings,
    private readonly containers: StartedTestContainer[],
  ) {}

  static async start(): Promise<ContainerStack> {
    const [kafka, clickhouse, temporal] = await Promise.all([
      new KafkaContainer(IMAGES.kafka).withKraft().start() as Promise<StartedKafkaContainer>,
      new ClickHouseContainer(IMAGES.clickhouse).start() as Promise<StartedClickHouseContainer>,
      new GenericContainer(IMAGES.temporal)
        .withCommand(['server', 'start-dev', '--ip', '0.0.0.0', '--headless'])
        .withExposedPorts(7233)
        .withWaitStrategy(Wait.forListeningPorts())
        .start(),
    ]);
    const settings: StackSettings = {
      provider: 'containers',
      kafka: { brokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`], ssl: false },
      temporal: { address: `${temporal.getHost()}:${temporal.getMappedPort(7233)}`, namespace: 'default', tls: false },
      clickhouse: {
        url: clickhouse.getHttpUrl(),
        username: clickhouse.getUsername(),
        password: clickhouse.getPassword(),
        database: 'tally',
      },
    };
    return new ContainerStack(settings, [kafka, clickhouse, temporal]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.containers.map((c) => c.stop()));
  }
}
