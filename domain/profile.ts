/**
 * A source profile says how to read one source's drops: which columns hold the place, the date and
 * the values, in which languages, and how much the source is trusted per indicator. Adding a source
 * means adding a profile (JSON or YAML), not code.
 */
import { z } from 'zod';
import { COUNTRY_PATTERN } from './codes.js';
import { countryByIso3 } from './countries.js';

const code = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a lowercase id such as "cmp" or "iom-avr"');
const headers = z.array(z.string().min(1)).min(1);

/** A value column: its header synonyms and what it measures. */
export const ValueColumn = z.object({
  headers,
  indicator: code,
  unit: z.enum(['individuals', 'households']).optional(),
  /** Fixed qualifiers of this column, e.g. { sex: "f" } for a "Femmes" column. */
  disaggregation: z.record(z.string(), z.string()).optional(),
});
export type ValueColumn = z.infer<typeof ValueColumn>;

export const SourceProfile = z.object({
  id: code,
  name: z.string().min(1),
  /** How drops arrive: files (csv, xlsx, json) or an HTTP JSON API. */
  connector: z.enum(['file', 'api']).default('file'),
  api: z
    .object({
      /** The request a poll sends when it is given no options; its origin is the API's base URL. */
      url: z.string().url(),
      paging: z.enum(['unhcr', 'none']).default('none'),
      /** Environment variable(s) that hold the API key, the first one set wins; the key never reaches a log. */
      apiKeyEnv: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      apiKeyHeader: z.string().default('Ocp-Apim-Subscription-Key'),
      /** How a request is built from `--country`, `--admin-level`, `--from`… (domain/api-request.ts). */
      request: z.lazy(() => ApiRequestSpec).optional(),
    })
    .optional(),
  /** Trust in this source: higher wins when sources disagree. @default 50 */
  priority: z.number().int().min(0).max(100).default(50),
  /** Per-indicator overrides of priority. */
  indicatorPriority: z.record(code, z.number().int().min(0).max(100)).default({}),
  /** Indicator of a value column that names none, and of HXL value columns that are ambiguous. */
  defaultIndicator: code.optional(),
  /** How a date cell becomes a reference date or period. */
  dates: z
    .object({
      /** 'cell': a date or period text per row; 'year': a year column (UNHCR: stocks at Y-12-31, flows over Y). */
      rule: z.enum(['cell', 'year']).default('cell'),
      /** A fixed reference date or period text for drops that carry none (e.g. "2020"). */
      fixed: z.string().optional(),
    })
    .default({ rule: 'cell' }),
  /**
   * The country of the source's drops (ISO 3166 alpha-3), when a drop does not say (no country
   * column, no P-code) and `tally ingest` has no --country. @default 'MLI' (DEFAULT_COUNTRY)
   */
  country: z
    .string()
    .regex(COUNTRY_PATTERN, 'expected an ISO 3166 alpha-3 code such as "MLI" or "TCD"')
    .refine((c) => countryByIso3(c) !== undefined, 'expected an ISO 3166 alpha-3 code of a country')
    .optional(),
  /** Level of the place column when it holds names. @default 1 */
  areaLevel: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  columns: z
    .object({
      country: headers.optional(),
      region: headers.optional(),
      regionCode: headers.optional(),
      cercle: headers.optional(),
      cercleCode: headers.optional(),
      date: headers.optional(),
      periodStart: headers.optional(),
      periodEnd: headers.optional(),
      year: headers.optional(),
      round: headers.optional(),
      /** BA (baseline) or SA (site assessment): copies of one round are never summed. */
      assessment: headers.optional(),
      /** Rows that differ only by these columns are summed (DTM splits a location by displacement reason and origin); every header named is one. */
      sumOver: headers.optional(),
      /** Column whose cell names the indicator (API rows with a "population type"). */
      indicator: headers.optional(),
      /** Columns whose cells qualify a figure: key is the disaggregation name (sex, age_group, origin). */
      disaggregations: z.record(z.string().regex(/^[a-z_]+$/), headers).default({}),
      /**
       * A disaggregation whose column is also summed over (UNHCR's origin, DTM's operation) is each
       * row's own figure and a part of the total without it. When every row of a drop names one
       * value there, the rows are 'part' (default: that value's figures only, no total; a UNHCR
       * answer for one origin) or 'whole' (the total too: a DTM country with one operation), unless
       * the api-drop's request filtered on it (`api.request.params` of the option of the same name,
       * DTM's `Operation=`). A 'whole' key's values summed into one total are named in the drop's
       * `summed_parts` notice.
       */
      alone: z.record(z.string().regex(/^[a-z_]+$/), z.enum(['part', 'whole'])).default({}),
    })
    .default({ disaggregations: {}, alone: {} })
    .superRefine((columns, ctx) => {
      const summed = new Set((columns.sumOver ?? []).map((h) => h.toLowerCase()));
      for (const key of Object.keys(columns.alone)) {
        const synonyms = columns.disaggregations[key];
        if (synonyms?.some((h) => summed.has(h.toLowerCase()))) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['alone', key],
          message: `expected a disaggregation of columns.disaggregations whose column is also in columns.sumOver, found "${key}" ${synonyms ? 'not summed over' : 'not a disaggregation'}`,
        });
      }
    }),
  values: z.array(ValueColumn).default([]),
  /** Maps cell text of the indicator column to indicator codes (e.g. "REF" → refugees). */
  indicatorCodes: z.record(z.string(), code).default({}),
});
export type SourceProfile = z.infer<typeof SourceProfile>;
export type SourceProfileInput = z.input<typeof SourceProfile>;

const param = z.string().min(1);

/**
 * What an API takes, so that `tally ingest --source ID --country TCD --admin-level 1` needs no URL:
 * the endpoint's path and the query parameter each option goes in. An option with no parameter
 * here is refused, never dropped.
 */
export const ApiRequestSpec = z.object({
  /** Path on the API's base URL; `{adminLevel}` stands for the admin level asked for. */
  path: z.string().regex(/^\//, 'expected a path such as "/v3/displacement/admin{adminLevel}"'),
  params: z
    .object({
      /** The country asked for (ISO 3166 alpha-3, or the API's own code from `countryCodes`). */
      country: param.optional(),
      from: param.optional(),
      to: param.optional(),
      operation: param.optional(),
      fromRound: param.optional(),
      toRound: param.optional(),
    })
    .strict()
    .default({}),
  /** Parameters every built request carries, e.g. `{ "coo_all": "true" }`. */
  fixed: z.record(z.string().min(1), z.string()).default({}),
  /** How `--from` and `--to` are sent: dates (YYYY-MM-DD) or years (YYYY). @default 'date' */
  dates: z.enum(['date', 'year']).default('date'),
  /** Admin levels the endpoint serves through `{adminLevel}`; none when it has no such choice. */
  adminLevels: z.array(z.union([z.literal(0), z.literal(1), z.literal(2)])).default([]),
  /** @default the first of `adminLevels` */
  defaultAdminLevel: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  /** Countries the API spells its own way: ISO 3166 alpha-3 to its code (UNHCR: TCD is CHD). */
  countryCodes: z.record(z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 3166 alpha-3 code'), param).default({}),
  /** Item field that must echo the country asked for (ISO3): a code the API reads as another country fails the fetch. */
  countryField: param.optional(),
});
export type ApiRequestSpec = z.infer<typeof ApiRequestSpec>;
