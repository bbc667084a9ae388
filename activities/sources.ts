/** Polling API sources: build the request, fetch, land; the landing store says whether the bytes are new. */
import { apiDropOptions, apiTarget, fetchApiDrop } from '../connectors/api.js';
import { getProfile } from '../connectors/profiles.js';
import type { ApiRequestOptions } from '../domain/api-request.js';
import type { ActivityDeps } from './deps.js';

export interface FetchSourceInput {
  source: string;
  /** The URL to fetch as it is. */
  url?: string;
  /** Else a request built from these options by the profile (`api.request`); else the profile's `api.url`. */
  request?: ApiRequestOptions;
}

export interface FetchSourceResult {
  dropId: string;
  isNew: boolean;
  fileName: string;
  /** The country the request asked for (ISO3): the drop's country. */
  country?: string;
}

export function createSourceActivities(deps: ActivityDeps) {
  return {
    async fetchSource(input: FetchSourceInput): Promise<FetchSourceResult> {
      const profile = getProfile(input.source, deps.profiles);
      const target = apiTarget(profile, input);
      const bytes = await fetchApiDrop(target.url, apiDropOptions(profile, target));
      const landed = await deps.landing.putBytes(bytes, { source: input.source, fileName: target.fileName });
      return { dropId: landed.dropId, isNew: landed.isNew, fileName: landed.fileName, ...(target.country ? { country: target.country } : {}) };
    },
  };
}
