/**
 * kafkajs computes the CRC-32C of every record batch it produces in JavaScript: about 6 ms per MB,
 * a second of the worker's thread per 200,000 rows (docs/performance.md). @node-rs/crc32 computes
 * the same checksum with the CPU's CRC instructions, about 15 times faster.
 *
 * kafkajs has no option for it, but its record-batch encoder loads the checksum module on the
 * first produce request (`require('../crc32C')`), so a module placed in the require cache before
 * then is the one it uses. If the encoder is already loaded, or the native package cannot load on
 * this platform, kafkajs keeps its own: the checksum is the same either way, and the broker
 * refuses a batch whose checksum is wrong, so a mistake here could not pass unnoticed.
 */
import { createRequire, Module } from 'node:module';

const require = createRequire(import.meta.url);
const CRC_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/recordBatch/v0/index.js';

let installed: boolean | undefined;

/** True when kafkajs' producers use the native CRC-32C; installs it on the first call. */
export function useNativeCrc32c(): boolean {
  installed ??= install();
  return installed;
}

function install(): boolean {
  const path = require.resolve(CRC_MODULE);
  if (require.cache[require.resolve(ENCODER_MODULE)]) return false; // the encoder already holds kafkajs' own
  let crc32c: (input: Buffer) => number;
  try {
    ({ crc32c } = require('@node-rs/crc32') as { crc32c: (input: Buffer) => number });
  } catch {
    return false;
  }
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = (buffer: Buffer): number => crc32c(buffer);
  require.cache[path] = module;
  return true;
}

/** The checksum function kafkajs' record-batch encoder loads (for tests). */
export function kafkaCrcModule(): (buffer: Buffer) => number {
  return require(CRC_MODULE) as (buffer: Buffer) => number;
}
