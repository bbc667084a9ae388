/**
 * Where files are: the landing store, the user's profiles and P-code lists, the bundles.
 * Part of infra/config.ts, the one place that reads the environment.
 */
type Env = NodeJS.ProcessEnv;

/** TALLY_LANDING_DIR: the content-addressed landing store. @default '.tally/landing' */
export function landingDirFromEnv(env: Env = process.env): string {
  return env.TALLY_LANDING_DIR || '.tally/landing';
}

/** TALLY_PROFILES_DIR: a directory of the user's source profiles, beside the bundled ones; undefined when unset. */
export function profilesDirFromEnv(env: Env = process.env): string | undefined {
  return env.TALLY_PROFILES_DIR || undefined;
}

/**
 * TALLY_PCODES_FILE: the user's P-code lists in OCHA's layout (a newer or deeper list, admin 3),
 * several separated by ':'; [] when unset. Their rows add to the bundled lists.
 */
export function pcodesFilesFromEnv(env: Env = process.env): string[] {
  return (env.TALLY_PCODES_FILE ?? '').split(':').map((p) => p.trim()).filter((p) => p !== '');
}

/** TALLY_BUNDLE_DIR: where development runs cache workflow bundles; undefined when unset (then <project>/.tally/bundles). */
export function bundleDirFromEnv(env: Env = process.env): string | undefined {
  return env.TALLY_BUNDLE_DIR || undefined;
}
