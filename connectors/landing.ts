/**
 * The landing store: drop bytes kept by content. The drop id is the sha256 of the bytes, so landing
 * the same bytes twice is one drop. Layout: `<dir>/<id[0:2]>/<id>` (bytes) and `<id>.json` (meta).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DROP_ID_PATTERN } from '../domain/codes.js';
import { RefusedError } from '../domain/errors.js';
import { landingDirFromEnv } from '../infra/config.js';

export interface LandedDrop {
  dropId: string;
  path: string;
  fileName: string;
  source: string;
  bytes: number;
  /** ISO time the bytes were first landed. */
  receivedAt: string;
  /** False when these bytes had been landed before. */
  isNew: boolean;
}

type StoredMeta = Omit<LandedDrop, 'path' | 'isNew'>;

/**
 * Bytes already landed as another source: a drop is one source's, and its workflow (named by the
 * bytes) already holds that source's result, so answering with it would be answering for the
 * wrong source. Refused, never retried.
 */
export class LandedAsOtherSourceError extends RefusedError {
  readonly type = 'LandedAsOtherSource';

  constructor(
    readonly landed: LandedDrop,
    readonly requested: string,
  ) {
    super({
      message:
        `${landed.fileName}: expected bytes not yet landed, or landed as source ${requested}, found drop ${landed.dropId.slice(0, 12)} landed as source ${landed.source} ` +
        `on ${landed.receivedAt.slice(0, 10)}: the same bytes are one source's drop (ingest them with --source ${landed.source})`,
      where: { file: landed.fileName, at: `drop ${landed.dropId}` },
      expected: `source ${landed.source}`,
      found: `source ${requested}`,
    });
  }
}


function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

export class LandingStore {
  readonly dir: string;

  /** @param dir where drops are kept (TallyConfig.landingDir). @default TALLY_LANDING_DIR, else '.tally/landing' */
  constructor(dir: string = landingDirFromEnv()) {
    this.dir = resolve(dir);
  }

  /** Streams the file into the store while hashing it; never holds it in memory. */
  async putFile(path: string, meta: { source: string; fileName?: string }): Promise<LandedDrop> {
    const temp = await this.tempPath();
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(createReadStream(path), tap, createWriteStream(temp));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    return this.settle(temp, hash.digest('hex'), bytes, { source: meta.source, fileName: meta.fileName ?? basename(path) });
  }

  async putBytes(bytes: Buffer, meta: { source: string; fileName: string }): Promise<LandedDrop> {
    const temp = await this.tempPath();
    await writeFile(temp, bytes);
    return this.settle(temp, createHash('sha256').update(bytes).digest('hex'), bytes.length, meta);
  }

  async get(dropId: string): Promise<LandedDrop | undefined> {
    if (!DROP_ID_PATTERN.test(dropId)) return undefined;
    try {
      const stored = JSON.parse(await readFile(this.metaPath(dropId), 'utf8')) as StoredMeta;
      return { ...stored, path: this.bytesPath(dropId), isNew: false };
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  bytesPath(dropId: string): string {
    return join(this.dir, dropId.slice(0, 2), dropId);
  }

  private metaPath(dropId: string): string {
    return `${this.bytesPath(dropId)}.json`;
  }

  private async tempPath(): Promise<string> {
    await mkdir(join(this.dir, 'tmp'), { recursive: true });
    return join(this.dir, 'tmp', randomUUID());
  }

  /** Moves the bytes in place, then claims the meta file; whoever claims it first owns receivedAt. */
  private async settle(temp: string, dropId: string, bytes: number, meta: { source: string; fileName: string }): Promise<LandedDrop> {
    await mkdir(join(this.dir, dropId.slice(0, 2)), { recursive: true });
    const exists = await stat(this.metaPath(dropId)).then(() => true, () => false);
    if (exists) {
      await unlink(temp);
      return this.existing(dropId, meta.source);
    }
    await rename(temp, this.bytesPath(dropId));
    const stored: StoredMeta = { dropId, fileName: meta.fileName, source: meta.source, bytes, receivedAt: new Date().toISOString() };
    return (await this.claimMeta(stored)) ? { ...stored, path: this.bytesPath(dropId), isNew: true } : this.existing(dropId, meta.source);
  }

  /** link(2) fails when the target exists: of two concurrent landings exactly one writes the meta. */
  private async claimMeta(stored: StoredMeta): Promise<boolean> {
    const temp = await this.tempPath();
    await writeFile(temp, `${JSON.stringify(stored, null, 2)}\n`);
    try {
      await link(temp, this.metaPath(stored.dropId));
      return true;
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return false;
      throw error;
    } finally {
      await unlink(temp);
    }
  }

  /** The drop landed before; refused when it was landed as another source than `source`. */
  private async existing(dropId: string, source: string): Promise<LandedDrop> {
    const drop = await this.get(dropId);
    if (!drop) throw new Error(`landing store ${this.dir}: expected meta for drop ${dropId}, found none`);
    if (drop.source !== source) throw new LandedAsOtherSourceError(drop, source);
    return drop;
  }
}
