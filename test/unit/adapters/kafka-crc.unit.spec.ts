import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { kafkaCrcModule, useNativeCrc32c } from '../../../adapters/kafka-crc.js';

const require = createRequire(import.meta.url);
/** kafkajs' own table-driven CRC-32C, in JavaScript. */
const jsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buffer: Buffer) => number;
const unsigned = (n: number) => n >>> 0;

describe('the native CRC-32C for kafkajs', () => {
  it('is installed before the first produce request, and kafkajs loads it', () => {
    // Each test file runs in a fresh process, where nothing has produced yet.
    expect(useNativeCrc32c()).toBe(true);
    expect(kafkaCrcModule()(Buffer.from('123456789'))).toBe(0xe3069283); // the standard check value
    expect(kafkaCrcModule().toString()).toContain('crc32c(buffer)');
  });

  it("gives kafkajs' own checksum for every size", () => {
    useNativeCrc32c();
    for (const size of [0, 1, 3, 64, 1000, 65_539, 1_048_576]) {
      const buffer = randomBytes(size);
      expect(kafkaCrcModule()(buffer)).toBe(unsigned(jsCrc32c(buffer)));
    }
    // A view into a larger buffer, as the encoder passes it.
    const big = randomBytes(4096);
    expect(kafkaCrcModule()(big.subarray(21))).toBe(unsigned(jsCrc32c(big.subarray(21))));
  });

  it("writes it into the record batches kafkajs encodes", async () => {
    useNativeCrc32c();
    const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
      RecordBatch: (batch: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
    };
    const encoded = await RecordBatch({
      firstOffset: 0,
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_000,
      lastOffsetDelta: 0,
      records: [],
    });
    // baseOffset (8) + batchLength (4) + partitionLeaderEpoch (4) + magic (1), then the CRC of the rest.
    const crc = encoded.buffer.readUInt32BE(17);
    expect(crc).toBe(unsigned(jsCrc32c(encoded.buffer.subarray(21))));
  });
});
