import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { SourceProfile } from '../domain/profile.js';
import { UnknownSourceError } from '../domain/errors.js';
import { profilesDirFromEnv } from '../infra/config.js';

const BUNDLED = fileURLToPath(new URL('./profiles/', import.meta.url));

export class ProfileError extends Error {
  override name = 'ProfileError';
}

/** Parses one profile file (JSON or YAML); the error names the file and the field. */
export function parseProfile(text: string, file: string): SourceProfile {
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ProfileError(`${file}: expected JSON or YAML, found a syntax error (${(err as Error).message})`);
  }
  const parsed = SourceProfile.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ProfileError(`${file}: invalid source profile: ${issues}`);
  }
  return parsed.data;
}

function readDir(dir: string, into: Map<string, SourceProfile>): void {
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(json|ya?ml)$/.test(name)) continue;
    const file = join(dir, name);
    const profile = parseProfile(readFileSync(file, 'utf8'), file);
    into.set(profile.id, profile);
  }
}

/**
 * The bundled profiles, then those in TALLY_PROFILES_DIR (which may add sources or replace bundled ones).
 */
export function loadProfiles(extraDir: string | undefined = profilesDirFromEnv()): Map<string, SourceProfile> {
  const profiles = new Map<string, SourceProfile>();
  readDir(BUNDLED, profiles);
  if (extraDir) {
    if (!existsSync(extraDir)) throw new ProfileError(`TALLY_PROFILES_DIR is ${extraDir}, which does not exist`);
    readDir(extraDir, profiles);
  }
  return profiles;
}

/** The profile of source `id`; an UnknownSourceError (never worth a retry) when there is none. */
export function getProfile(id: string, profiles = loadProfiles()): SourceProfile {
  const profile = profiles.get(id);
  if (!profile) {
    throw new UnknownSourceError(id, [...profiles.keys()]);
  }
  return profile;
}

/** Priority of a source for an indicator: the per-indicator override, else the profile's priority. */
export function priorityOf(profile: SourceProfile, indicator: string): number {
  return profile.indicatorPriority[indicator] ?? profile.priority;
}

/** Per indicator, source ids best first: the reconciliation policy's priority table. */
export function priorityTable(profiles: Map<string, SourceProfile>, indicators: readonly string[]): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const indicator of indicators) {
    table[indicator] = [...profiles.values()]
      .sort((a, b) => priorityOf(b, indicator) - priorityOf(a, indicator) || a.id.localeCompare(b.id))
      .map((p) => p.id);
  }
  return table;
}
