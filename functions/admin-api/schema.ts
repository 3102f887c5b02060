import * as z from 'zod';
import { RegardsConfigFileSchema, NATIVE_FORMAT } from '../../shared/contract/config-file.js';
import { WorkerConfigSchema, WorkflowConfigSchema } from '../../shared/domain/config/tenant-config.js';
import { HistoryEntrySchema } from '../../shared/domain/request/request.js';
import { parseRestartFrom } from '../../shared/domain/request/restart.js';
import { RequestStatusSchema } from '../../shared/contract/status.js';
import { CLIENT_REQUEST_LIMITS } from '../../shared/contract/client-request.js';
import { HEARTBEAT_LIMITS } from '../../shared/contract/heartbeat.js';
import { SearchRequestParametersSchema } from '../../shared/contract/search-request-parameters.js';
import { WorkerSummarySchema } from '../../shared/application/use-cases/list-workers.js';
import { DEAD_LETTER_LIST_DEFAULT, DEAD_LETTER_LIST_MAX, DEAD_LETTER_REDRIVE_MAX } from '../../shared/application/use-cases/dead-letters.js';

/*
 * Every body, query and response of the admin API, as zod schemas: the router validates with
 * them and the OpenAPI document is generated from them. Shapes follow REGARDS rs-worker-manager
 * (reference section 7) where it has the endpoint, so its admin clients read them unchanged.
 */

// --- Common --------------------------------------------------------------------------------------

/** A Spring HATEOAS link, as REGARDS writes them. */
export const LinkSchema = z.object({ rel: z.string(), href: z.string() });
export type Link = z.infer<typeof LinkSchema>;

/**
 * The longest identifier each field takes, the wire contract's (reference columns). They key the
 * store, whose ValidationException on an oversize key would otherwise blame the service: checked
 * at the door, a 400 naming the field.
 */
export const IDENTIFIER_LIMITS = {
  requestId: CLIENT_REQUEST_LIMITS.requestId,
  source: CLIENT_REQUEST_LIMITS.owner,
  session: CLIENT_REQUEST_LIMITS.session,
  contentType: CLIENT_REQUEST_LIMITS.contentType,
  workerType: HEARTBEAT_LIMITS.type,
  /** Ours: a UUID is 36; the room is for ids minted otherwise. */
  jobId: 128,
} as const;

const maxLength = (max: number) => z.string().max(max, `must be at most ${max} characters`);

/** One query value, or the same parameter repeated; "a,b" also reads as two values, as Spring does. */
const listParameter = (max: number) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((item) => item.split(','))
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    )
    .pipe(z.array(maxLength(max)));

/** The SETTING names are few and short; the bound only keeps a forged list small. */
const SETTING_NAME_MAX = 128;

const singleParameter = z.string().describe('one value');

const intParameter = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((value) => value ?? fallback);

// --- Requests -----------------------------------------------------------------------------------

export const RequestIdParamsSchema = z.object({ requestId: maxLength(IDENTIFIER_LIMITS.requestId) });

/** The search filter (shared/contract) with each identifier bounded as the store keys bound it. */
export const SearchBodySchema = SearchRequestParametersSchema.superRefine((filter, ctx) => {
  const bounded: [string, string | undefined, number][] = [
    ['source', filter.source, IDENTIFIER_LIMITS.source],
    ['session', filter.session, IDENTIFIER_LIMITS.session],
    ['dispatchedWorkerType', filter.dispatchedWorkerType, IDENTIFIER_LIMITS.workerType],
  ];
  for (const [field, value, max] of bounded) {
    if (value !== undefined && value.length > max) ctx.addIssue({ code: 'custom', path: [field], message: `must be at most ${max} characters` });
  }
  for (const [i, value] of (filter.contentTypes?.values ?? []).entries()) {
    if (value.length > IDENTIFIER_LIMITS.contentType) {
      ctx.addIssue({ code: 'custom', path: ['contentTypes', 'values', i], message: `must be at most ${IDENTIFIER_LIMITS.contentType} characters` });
    }
  }
});

/** REGARDS LightRequest: what a search lists. */
export const LightRequestSchema = z.object({
  id: z.number().int().describe('numeric id (REGARDS DB id); what the ids filter matches'),
  requestId: z.string(),
  creationDate: z.string(),
  contentType: z.string(),
  source: z.string(),
  session: z.string(),
  status: RequestStatusSchema,
  dispatchedWorkerType: z.string().nullable(),
  error: z.string().nullable(),
});
export type LightRequest = z.infer<typeof LightRequestSchema>;

export const LightRequestModelSchema = z.object({ content: LightRequestSchema, links: z.array(LinkSchema) });

export const MAX_PAGE_SIZE = 1_000;

export const SearchQuerySchema = z.strictObject({
  page: intParameter(0, 1_000_000, 0).describe('0-based page number (REGARDS); bounded offset, see nextCursor'),
  size: intParameter(1, MAX_PAGE_SIZE, 10).describe('page size, default 10, at most 1000'),
  sort: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('property[,ASC|DESC], repeatable (Spring); creationDate,ASC by default'),
  cursor: singleParameter.optional().describe('nextCursor of the previous page: the efficient way to page'),
});

/** Where a retry starts a workflow request again (ours; REGARDS always resumes at the failed step). */
export const RetryQuerySchema = z.strictObject({
  restartFrom: z
    .string()
    .transform((text, ctx) => {
      const from = parseRestartFrom(text.trim());
      if (from === undefined) ctx.addIssue({ code: 'custom', message: 'must be current, first or a step number' });
      return from ?? 'current';
    })
    .optional()
    .transform((from) => from ?? 'current')
    .describe('current (default), first, or a step number'),
});

export const PageMetadataSchema = z.object({
  size: z.number().int(),
  totalElements: z.number().int(),
  totalPages: z.number().int(),
  number: z.number().int(),
});

export const RequestPageSchema = z.object({
  content: z.array(LightRequestModelSchema),
  metadata: PageMetadataSchema,
  links: z.array(LinkSchema),
  /** Ours: the cursor of the next page (absent on the last one). */
  nextCursor: z.string().optional(),
  /** Ours: false when totalElements is a lower bound (the count stopped at its bound). */
  totalElementsExact: z.boolean(),
});
export type RequestPage = z.infer<typeof RequestPageSchema>;

/** GET /requests/{requestId}: the LightRequest and what REGARDS does not show. */
export const RequestDetailSchema = LightRequestSchema.extend({
  statusDate: z.string(),
  stepNumber: z.number().int().nullable(),
  stepWorkerType: z.string().nullable(),
  attempt: z.number().int().describe('dispatch attempt (fencing token echoed by workers)'),
  stepAttempts: z.number().int(),
  deadline: z.string().nullable().describe('when the sweeper looks at the request again'),
  history: z.array(HistoryEntrySchema),
  /** Ours: why a request waiting for a slot (fair dispatch) waits, and its place. */
  waitingFor: z
    .object({
      reason: z.literal('slot'),
      workerType: z.string(),
      maxInFlight: z.number().int().nullable().describe('null: the limit was removed; the next sweep dispatches it'),
      maxInFlightPerTenant: z.number().int().nullable(),
      inFlight: z.number().int(),
      inFlightOfTenant: z.number().int(),
      position: z.number().int().describe("1 = the next of its tenant's requests to go (tenants take turns)"),
      positionExact: z.boolean().describe('false: more than 1,000 wait ahead, position is a lower bound'),
      tenantsWaiting: z.number().int(),
    })
    .optional(),
});
export const RequestDetailModelSchema = z.object({ content: RequestDetailSchema, links: z.array(LinkSchema) });

// --- Jobs ---------------------------------------------------------------------------------------

export const JobSchema = z.object({
  id: z.string(),
  kind: z.enum(['retry', 'delete', 'cancel']),
  status: z.enum(['PENDING', 'RUNNING', 'DONE', 'FAILED']),
  /** The filter as submitted (statuses are forced to the blocked ones when it runs). */
  filter: z.record(z.string(), z.unknown()),
  createdBefore: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  processed: z.number().int(),
  succeeded: z.number().int(),
  skipped: z.number().int(),
  total: z.number().int().optional(),
  totalExact: z.boolean().optional(),
  progress: z.number().int().min(0).max(100),
  requestedBy: z.string().optional(),
  /** A retry's starting point, when not the step each request stopped at. */
  restartFrom: z.union([z.literal('first'), z.int()]).optional(),
  error: z.string().optional(),
  links: z.array(LinkSchema),
});
export type JobView = z.infer<typeof JobSchema>;

export const JobIdParamsSchema = z.object({ jobId: maxLength(IDENTIFIER_LIMITS.jobId) });

export const JobListQuerySchema = z.strictObject({
  limit: intParameter(1, 100, 20),
  cursor: singleParameter.optional(),
});

export const JobListSchema = z.object({ content: z.array(JobSchema), nextCursor: z.string().optional() });

// --- Workers, counters ----------------------------------------------------------------------------

export const WorkersQuerySchema = z.strictObject({
  contentTypes: listParameter(IDENTIFIER_LIMITS.contentType).optional().describe('keep the worker types these content types route to (repeatable)'),
});
export const WorkersSchema = z.array(WorkerSummarySchema);

export const CountersQuerySchema = z.strictObject({
  source: singleParameter.pipe(z.string().min(1)).pipe(maxLength(IDENTIFIER_LIMITS.source)),
  session: singleParameter.pipe(z.string().min(1)).pipe(maxLength(IDENTIFIER_LIMITS.session)),
});
export const CountersSchema = z.object({
  source: z.string(),
  session: z.string(),
  values: z.record(z.string(), z.number()).describe('REGARDS session properties: workers.requests, workers.<type>.dispatched, ...'),
});

// --- Configuration ------------------------------------------------------------------------------

/** REGARDS ModuleImportReport, plus our structured errors and what the import re-dispatched. */
export const ModuleImportReportSchema = z.object({
  moduleInformation: z.looseObject({ id: z.string() }),
  importErrors: z.array(z.string()),
  onlyErrors: z.boolean(),
  errors: z.array(z.object({ code: z.string(), path: z.string(), message: z.string() })).optional(),
  /** Ours: fields of the items that were ignored (REGARDS ignores unknown fields too). */
  warnings: z.array(z.string()).optional(),
});
export const ImportReportSchema = z.array(ModuleImportReportSchema);

export const ImportQuerySchema = z.strictObject({
  atomic: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true')
    .describe('true: all or nothing (ours); default: the valid items, as REGARDS'),
});

export const RegardsConfigFileOutputSchema = RegardsConfigFileSchema;

export const NativeConfigFileOutputSchema = z.object({
  format: z.literal(NATIVE_FORMAT),
  resetBeforeImport: z.boolean(),
  settings: z.object({ skipContentTypes: z.array(z.string()) }),
  workers: z.array(WorkerConfigSchema),
  workflows: z.array(WorkflowConfigSchema),
});

export const NativeImportResultSchema = z.object({
  version: z.number().int(),
  configuration: NativeConfigFileOutputSchema,
  redispatch: z.object({
    examined: z.number().int(),
    dispatched: z.number().int(),
    rerouted: z.number().int(),
    /** False when more waiting requests remain: the sweeper's next passes route them. */
    complete: z.boolean(),
  }),
});

/** The input of the config endpoints: parsed by the import rules, described here for the document. */
export const ConfigFileInputSchema = z.union([RegardsConfigFileSchema, z.looseObject({ format: z.literal(NATIVE_FORMAT) })]);

// --- Settings -------------------------------------------------------------------------------------

/** REGARDS DynamicTenantSettingDto. */
export const DynamicTenantSettingSchema = z.object({
  name: z.string(),
  description: z.string(),
  value: z.array(z.string()),
  defaultValue: z.array(z.string()),
});
export const DynamicTenantSettingModelSchema = z.object({ content: DynamicTenantSettingSchema, links: z.array(LinkSchema) });
export const SettingsListSchema = z.array(DynamicTenantSettingModelSchema);

export const SettingsQuerySchema = z.strictObject({ names: listParameter(SETTING_NAME_MAX).optional() });

/** PUT /settings/{name}: the DTO as REGARDS clients send it; `value` is the list, or its JSON text. */
export const SettingUpdateSchema = z.looseObject({
  name: z.string().optional(),
  value: z.union([
    z.array(z.string()),
    z.string().transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a list of strings, or its JSON text such as "[\\"a\\"]"' });
        return z.NEVER;
      }
    }),
  ]),
});

// --- Tenants ------------------------------------------------------------------------------------

export const TenantParamsSchema = z.object({ tenant: maxLength(CLIENT_REQUEST_LIMITS.tenant).min(1, 'must not be empty') });

export const TenantDeclarationSchema = z.object({
  tenant: z.string(),
  /** False when the tenant was already declared (or configured): the call changed nothing. */
  created: z.boolean(),
  configured: z.boolean(),
});

// --- Dead letters ---------------------------------------------------------------------------------

export const DeadLettersQuerySchema = z.strictObject({
  limit: intParameter(0, DEAD_LETTER_LIST_MAX, DEAD_LETTER_LIST_DEFAULT).describe(
    `messages read per queue (and put back, flagged redelivered), default ${DEAD_LETTER_LIST_DEFAULT}, at most ${DEAD_LETTER_LIST_MAX}`,
  ),
});

/** A queue name is at most 255 bytes in AMQP. */
export const DeadLetterQueueParamsSchema = z.object({ queue: maxLength(255).min(1, 'must not be empty') });

const DeadLetterEntrySchema = z.object({
  position: z.number().int().describe('0: the head of the queue at this listing'),
  messageId: z.string().optional().describe('the message-id property, else the regards.request.id header: what a redrive by id matches'),
  reason: z.string(),
  reasonOrigin: z
    .enum(['manager', 'broker', 'unknown'])
    .describe('manager: x-wm-rejection-reason; broker: x-death (delivery_limit, rejected, expired, maxlen)'),
  deadLetteredAt: z.string().optional().describe('ISO 8601'),
  tenant: z.string().optional(),
});

export const DeadLettersSchema = z.array(
  z.object({
    queue: z.string(),
    source: z.string().describe('where a redrive publishes'),
    exists: z.boolean(),
    count: z.number().int().describe('ready messages'),
    inspected: z.number().int().describe('messages read by this listing: reasons and oldestAgeSeconds are over these'),
    oldestAgeSeconds: z.number().int().optional(),
    reasons: z.array(z.object({ reason: z.string(), origin: z.enum(['manager', 'broker', 'unknown']), count: z.number().int() })),
    messages: z.array(DeadLetterEntrySchema),
  }),
);

export const RedriveBodySchema = z
  .strictObject({
    limit: z
      .number()
      .int()
      .min(1)
      .max(DEAD_LETTER_REDRIVE_MAX)
      .optional()
      .describe(`messages to move at most; default (and at most) ${DEAD_LETTER_REDRIVE_MAX}: call again while remaining > 0`),
    messageId: z.string().min(1).max(1024).optional().describe(`move only the messages with this id (looking at the first ${DEAD_LETTER_REDRIVE_MAX})`),
  })
  .describe('an empty body moves the first messages, up to the bound');

export const RedriveResultSchema = z.object({
  queue: z.string(),
  source: z.string(),
  moved: z.number().int(),
  remaining: z.number().int().describe('ready messages left in the dead-letter queue'),
});

// --- Health ---------------------------------------------------------------------------------------

export const HealthSchema = z.object({
  status: z.enum(['UP', 'DOWN']),
  checks: z.record(z.string(), z.object({ status: z.enum(['UP', 'DOWN']), error: z.string().optional() })),
});

export const OpenApiSchema = z.record(z.string(), z.unknown());
