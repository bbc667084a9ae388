/** Resident memory of child processes from /proc: VmHWM is the peak, and writing 5 to clear_refs resets it. */
import { readFileSync, writeFileSync } from 'node:fs';
import { publishingClient } from '../adapters/rdkafka.js';
import { kafkaProducerFromEnv } from '../infra/config.js';

export interface Memory {
  rssMb: number;
  hwmMb: number;
}

export function readMemory(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Resets the peak to the current RSS (Linux ≥ 4.0), so start-up (bundling workflows) is not counted. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples a process every `everyMs`; the peak is the larger of VmHWM and the highest RSS seen. */
export class PeakSampler {
  private maxRss = 0;
  /** performance.now() of the highest RSS sampled. */
  private maxAt: number | undefined;
  private last: Memory | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    everyMs = 250,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    const m = readMemory(this.pid);
    if (!m) return;
    this.last = m;
    if (m.rssMb > this.maxRss) {
      this.maxRss = m.rssMb;
      this.maxAt = performance.now();
    }
  }

  /** When the highest RSS was sampled (performance.now()), if any was. */
  peakAt(): number | undefined {
    return this.maxAt;
  }

  /** The latest RSS seen. */
  current(): number {
    return this.last?.rssMb ?? 0;
  }

  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return Math.max(this.maxRss, this.last?.hwmMb ?? 0);
  }
}

/** The machine, and the client the worker publishes with (TALLY_KAFKA_PRODUCER, and whether librdkafka is built). */
export function machine(): { nproc: number; memTotalMb: number; cpu: string; kafkaProducer?: string } {
  const chosen = publishingClient(kafkaProducerFromEnv());
  const kafkaProducer = chosen.use === 'librdkafka' ? `librdkafka ${chosen.client.librdkafka}` : 'kafkajs';
  const mem = readFileSync('/proc/meminfo', 'utf8');
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
    memTotalMb: Math.round(Number(/^MemTotal:\s+(\d+)/m.exec(mem)?.[1] ?? 0) / 1024),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    kafkaProducer,
  };
}
