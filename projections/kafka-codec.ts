/**
 * Snappy for kafkajs, which ships gzip only. Events are JSON and compress about tenfold, so the
 * producer checksums and copies a tenth of the bytes, and the broker stores and serves a tenth.
 * Importing this module registers the codec (projections/kafka.ts does, for every client).
 */
import kafkajs from 'kafkajs';
import { compress, uncompress } from 'snappy';

/** The header Java producers (xerial snappy-java) put before their chunks: magic, version, compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

/** Raw snappy, or xerial's framing (a header, then chunks of a 4-byte big-endian length and a raw snappy block). */
export async function snappyDecompress(buffer: Buffer): Promise<Buffer> {
  if (buffer.length < XERIAL_HEADER_BYTES || !buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return (await uncompress(buffer)) as Buffer;
  }
  const chunks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new Error(`snappy: truncated chunk length at byte ${at} of ${buffer.length}`);
    const length = buffer.readUInt32BE(at);
    at += 4;
    if (at + length > buffer.length) throw new Error(`snappy: chunk of ${length} bytes at byte ${at} runs past the end (${buffer.length})`);
    chunks.push((await uncompress(buffer.subarray(at, at + length))) as Buffer);
    at += length;
  }
  return Buffer.concat(chunks);
}

export const snappyCodec = {
  async compress(encoder: { buffer: Buffer }): Promise<Buffer> {
    return compress(encoder.buffer);
  },
  decompress: snappyDecompress,
};

kafkajs.CompressionCodecs[kafkajs.CompressionTypes.Snappy] = () => snappyCodec;
