import { describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { compressSync } from 'snappy';
import { snappyCodec, snappyDecompress } from '../../../projections/kafka-codec.js';

const text = (n: number) => Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => ({ type: 'FigureReconciled', groupKey: `idps|ML0${i % 50}|sex=female`, value: i }))));

/** xerial snappy-java's stream format, as a Java producer writes it: header, then length-prefixed raw blocks. */
function xerialFramed(parts: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const chunks = parts.flatMap((p) => {
    const block = compressSync(p);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(block.length);
    return [length, block];
  });
  return Buffer.concat([header, ...chunks]);
}

describe('the Snappy codec for kafkajs', () => {
  it('is registered with kafkajs under the Snappy compression type', () => {
    expect(kafkajs.CompressionCodecs[kafkajs.CompressionTypes.Snappy]()).toBe(snappyCodec);
  });

  it('round-trips a record batch and shrinks JSON several times', async () => {
    const raw = text(2000);
    const compressed = await snappyCodec.compress({ buffer: raw });
    expect(compressed.length).toBeLessThan(raw.length / 4);
    expect((await snappyCodec.decompress(compressed)).equals(raw)).toBe(true);
  });

  it('reads the xerial framing of Java producers, chunk after chunk', async () => {
    const [a, b] = [text(300), text(700)];
    expect((await snappyDecompress(xerialFramed([a, b]))).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('refuses a truncated xerial stream, saying where', async () => {
    const framed = xerialFramed([text(300)]);
    await expect(snappyDecompress(framed.subarray(0, framed.length - 10))).rejects.toThrow(/chunk of \d+ bytes at byte 20 runs past the end/);
    await expect(snappyDecompress(framed.subarray(0, 18))).rejects.toThrow(/truncated chunk length at byte 16 of 18/);
  });
});
