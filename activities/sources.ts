/** Polling API sources: fetch, land; the landing store says whether the bytes are new. */
import { fetchApiDrop } from '../connectors/api.js';
import { getProfile } from '../connectors/profiles.js';
import { NoApiUrlError } from '../domain/errors.js';
import type { ActivityDeps } from './deps.js';

export function createSourceActivities(deps: ActivityDeps) {
  return {
    async fetchSource(input: { source: string; url?: string }): Promise<{ dropId: string; isNew: boolean; fileName: string }> {
      const profile = getProfile(input.source, deps.profiles);
      const url = input.url ?? profile.api?.url;
      if (!url) throw new NoApiUrlError(input.source);
      const bytes = await fetchApiDrop(url, {
        paging: profile.api?.paging ?? 'none',
        apiKeyEnv: profile.api?.apiKeyEnv,
        apiKeyHeader: profile.api?.apiKeyHeader,
      });
      const landed = await deps.landing.putBytes(bytes, { source: input.source, fileName: `${input.source}-api.json` });
      return { dropId: landed.dropId, isNew: landed.isNew, fileName: landed.fileName };
    },
  };
}
