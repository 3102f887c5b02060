import * as z from 'zod';
import { RequestStatusSchema } from './status.js';
import { OffsetDateTimeSchema } from './offset-date-time.js';

/* The filter body of POST /requests, /requests/retry and DELETE /requests/delete (reference 7). */

export const MAX_RESTRICTION_VALUES = 1000;

export const RestrictionModeSchema = z.enum(['INCLUDE', 'EXCLUDE']);
export type RestrictionMode = z.infer<typeof RestrictionModeSchema>;

export const MatchModeSchema = z.enum(['STRICT', 'STARTS_WITH', 'CONTAINS', 'ENDS_WITH']);
export type MatchMode = z.infer<typeof MatchModeSchema>;

export interface ValuesRestriction<T> {
  mode: RestrictionMode;
  values: T[];
  matchMode: MatchMode;
  ignoreCase: boolean;
}

/** REGARDS' ValuesRestriction<T> over any value schema. */
export function valuesRestrictionSchema<T extends z.ZodType>(value: T) {
  return z
    .object({
      mode: RestrictionModeSchema,
      values: z
        .array(value)
        .max(MAX_RESTRICTION_VALUES)
        .nullish()
        .transform((values) => values ?? []),
      matchMode: MatchModeSchema.nullish().transform((mode) => mode ?? 'STRICT'),
      ignoreCase: z
        .boolean()
        .nullish()
        .transform((ignore) => ignore ?? false),
    })
    .refine((restriction) => restriction.mode !== 'INCLUDE' || restriction.values.length > 0, {
      // INCLUDE nothing would select nothing; REGARDS refuses it rather than guess.
      error: 'INCLUDE needs at least one value',
      path: ['values'],
    });
}

/** JSON null means "no filter", as with Gson, so null and absent read the same. */
function absentAsUndefined<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((value) => (value === null ? undefined : value))
    .optional();
}

const filterText = absentAsUndefined(z.string().transform((text) => (text === '' ? undefined : text)));

const ContentTypesRestrictionSchema = valuesRestrictionSchema(z.string());
const StatusesRestrictionSchema = valuesRestrictionSchema(RequestStatusSchema);
const IdsRestrictionSchema = valuesRestrictionSchema(z.int()).refine((ids) => ids.matchMode === 'STRICT', {
  // A partial match on a number has no meaning (REGARDS would fail on a LIKE over a bigint).
  error: 'ids can only be matched with matchMode STRICT',
  path: ['matchMode'],
});

const DateBound = absentAsUndefined(OffsetDateTimeSchema);

export const CreationDateRangeSchema = z
  .object({ after: DateBound, before: DateBound })
  .refine((range) => range.after === undefined || range.before === undefined || range.after <= range.before, {
    error: 'after must not be later than before',
    path: ['after'],
  });

/**
 * Every field is optional and they combine with AND. Unknown fields are ignored, as REGARDS'
 * Jackson (FAIL_ON_UNKNOWN_PROPERTIES false) ignores them, so a REGARDS client sending a field
 * this manager does not know is not refused. The cost: a misspelt filter is ignored too, which
 * widens a search, a retry or a bulk delete (still only blocked requests created before it); the
 * admin API names the ignored fields in a `Warning` header.
 */
export const SearchRequestParametersSchema = z.object({
  /** Contains-match, case-sensitive, as REGARDS' LIKE %value%. */
  source: filterText,
  session: filterText,
  dispatchedWorkerType: filterText,
  contentTypes: absentAsUndefined(ContentTypesRestrictionSchema),
  statuses: absentAsUndefined(StatusesRestrictionSchema),
  /** Store ids, not request ids. */
  ids: absentAsUndefined(IdsRestrictionSchema),
  /** Inclusive bounds. */
  creationDate: absentAsUndefined(CreationDateRangeSchema),
});
export type SearchRequestParameters = z.infer<typeof SearchRequestParametersSchema>;
export type SearchRequestParametersInput = z.input<typeof SearchRequestParametersSchema>;

/**
 * The filter back in its wire form (dates as ISO strings): what a stored bulk job keeps, parsed
 * again with the schema when read.
 */
export function toSearchParametersInput(parameters: SearchRequestParameters): SearchRequestParametersInput {
  const { creationDate, ...rest } = parameters;
  if (creationDate === undefined) return { ...rest };
  return {
    ...rest,
    creationDate: {
      ...(creationDate.after === undefined ? {} : { after: creationDate.after.toISOString() }),
      ...(creationDate.before === undefined ? {} : { before: creationDate.before.toISOString() }),
    },
  };
}

/**
 * The LightRequest properties a search sorts by (REGARDS accepts any of its entity's). creationDate
 * and status come from the index; the others are sorted in memory over every match (bounded, see
 * searchRequests).
 */
export const SORT_PROPERTIES = ['creationDate', 'status', 'requestId', 'id', 'contentType', 'source', 'session', 'dispatchedWorkerType', 'error'] as const;
export type SortProperty = (typeof SORT_PROPERTIES)[number];
export interface SearchSort {
  property: SortProperty;
  direction: 'asc' | 'desc';
}

/**
 * Spring's `sort` parameters, each `property[,property...][,ASC|DESC]` and repeatable, in order;
 * the direction applies to every property of its parameter. A string when a property is unknown or
 * a part unreadable: the caller's error message.
 */
export function parseSort(values: readonly string[]): SearchSort[] | string {
  const sorts: SearchSort[] = [];
  for (const value of values) {
    const parts = value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const last = parts.at(-1)?.toLowerCase();
    const direction = last === 'desc' ? 'desc' : 'asc';
    if (last === 'asc' || last === 'desc') parts.pop();
    for (const property of parts) {
      if (!(SORT_PROPERTIES as readonly string[]).includes(property))
        return `cannot sort by "${property}": sortable properties are ${SORT_PROPERTIES.join(', ')}`;
      sorts.push({ property: property as SortProperty, direction });
    }
  }
  return sorts;
}
