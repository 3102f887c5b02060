import * as z from 'zod';

/*
 * The per-tenant configuration: which worker type serves which content type, the workflows, and
 * the tenant settings. Field names and limits are the REGARDS ones (WorkerConfigDto,
 * WorkflowConfigDto, WorkflowStepDto, DB column sizes) so a REGARDS export imports unchanged.
 *
 * Names are trimmed: the manager trims the content-type header of every request, so a configured
 * " a " could never match anything; trimming makes it mean what the operator obviously meant.
 */

const MAX_WORKER_TYPE = 128;
const MAX_CONTENT_TYPE = 255;
const MAX_WORKFLOW_TYPE = 255;
/** REGARDS stores step numbers as a Java Integer / int4. */
const MAX_STEP_NUMBER = 2_147_483_647;

const name = (max: number) => z.string().trim().min(1, 'must not be blank').max(max, `is limited to ${max} characters`);

export const WorkerTypeSchema = name(MAX_WORKER_TYPE);
export const ContentTypeSchema = name(MAX_CONTENT_TYPE);
export const WorkflowTypeSchema = name(MAX_WORKFLOW_TYPE);

/** Failures the manager may retry on its own. INVALID_CONTENT is not one: the worker said the input is bad. */
export const RETRYABLE_FAILURE_KINDS = ['ERROR', 'TIMEOUT', 'DEAD_LETTER'] as const;
export const RetryableFailureKindSchema = z.enum(RETRYABLE_FAILURE_KINDS, {
  error: 'must be one of ERROR, TIMEOUT, DEAD_LETTER (INVALID_CONTENT is never retried: the worker said the input is bad)',
});
export type RetryableFailureKind = z.infer<typeof RetryableFailureKindSchema>;

/**
 * Ours (REGARDS has no automatic retry). `maxAttempts` counts every dispatch, the first included,
 * so the default 1 keeps the reference behaviour: a failure waits for an operator.
 */
export const RetryPolicySchema = z
  .strictObject({
    maxAttempts: z.int().min(1).default(1),
    initialDelaySeconds: z.number().min(0).default(30),
    /** ≥ 1 so that delays never shrink from one attempt to the next. */
    multiplier: z.number().min(1).default(2),
    maxDelaySeconds: z.number().min(0).default(3600),
    /** ± fraction applied to each delay, so a burst of failures does not come back as a burst. */
    jitter: z.number().min(0).max(1).default(0.2),
    retryOn: z
      .array(RetryableFailureKindSchema)
      .default([...RETRYABLE_FAILURE_KINDS])
      .transform((kinds) => [...new Set(kinds)]),
  })
  .refine((policy) => policy.maxDelaySeconds >= policy.initialDelaySeconds, {
    message: 'must be at least initialDelaySeconds',
    path: ['maxDelaySeconds'],
  });
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/**
 * Ours (REGARDS lets DISPATCHED and RUNNING wait forever). Positive, never "off": every
 * non-terminal status has a deadline the sweeper enforces.
 */
export const DeadlinesSchema = z.strictObject({
  /** DISPATCHED with no answer at all from a worker. */
  timeToStartSeconds: z.int().min(1).default(3600),
  /** RUNNING without the final answer. */
  timeToCompleteSeconds: z.int().min(1).default(86_400),
  /**
   * True: time-to-start expires only when the request could not have started (no live instance
   * of its worker type, or its worker queue empty on the broker); while its work item may still
   * wait in a non-empty queue, the deadline is pushed forward instead. False: it expires as is.
   */
  extendWhileQueued: z.boolean().default(true),
  /** However busy the queue, a request dispatched this long ago without an answer times out (default 30 days). */
  maxQueuedSeconds: z.int().min(1).default(2_592_000),
  /** True: every RUNNING from the worker pushes time-to-complete forward (a progress heartbeat). */
  runningExtends: z.boolean().default(true),
});
export type Deadlines = z.infer<typeof DeadlinesSchema>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = RetryPolicySchema.parse({});
export const DEFAULT_DEADLINES: Deadlines = DeadlinesSchema.parse({});

export const WorkerConfigSchema = z.strictObject({
  workerType: WorkerTypeSchema,
  /**
   * A set in REGARDS (duplicates vanish on read); kept as a list here so error paths keep the
   * submitted positions. Import removes the duplicates.
   */
  contentTypeInputs: z.array(ContentTypeSchema).min(1, 'must declare at least one content type'),
  /** Only used to check that workflow steps chain. */
  contentTypeOutput: ContentTypeSchema.optional(),
  /** false: an ERROR or INVALID_CONTENT request of this worker is deleted once the client is told. */
  keepErrors: z.boolean().default(true),
  retry: RetryPolicySchema.prefault({}),
  deadlines: DeadlinesSchema.prefault({}),
});
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;
/** What a caller may write: every defaulted field is optional. */
export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;

export const WorkflowStepSchema = z.strictObject({
  stepNumber: z.int().min(0, 'must be a positive number').max(MAX_STEP_NUMBER),
  workerType: WorkerTypeSchema,
});
export type WorkflowStep = z.infer<typeof WorkflowStepSchema>;

export const WorkflowConfigSchema = z.strictObject({
  /** Clients use it as the request content type. */
  workflowType: WorkflowTypeSchema,
  /** Stored sorted by stepNumber; numbers need not be contiguous (0/10/20 is fine). */
  steps: z.array(WorkflowStepSchema).min(1, 'at least one step is expected'),
  keepErrors: z.boolean().default(true),
});
export type WorkflowConfig = z.infer<typeof WorkflowConfigSchema>;
export type WorkflowConfigInput = z.input<typeof WorkflowConfigSchema>;

export const TenantSettingsSchema = z.strictObject({
  /** Requests of these content types are answered SKIPPED and never stored. */
  skipContentTypes: z.array(ContentTypeSchema).default([]),
});
export type TenantSettings = z.infer<typeof TenantSettingsSchema>;
export const DEFAULT_TENANT_SETTINGS: TenantSettings = TenantSettingsSchema.parse({});

/** An import may carry some settings only; the absent ones keep their value. */
export const TenantSettingsPatchSchema = z.strictObject({
  skipContentTypes: z.array(ContentTypeSchema).optional(),
});
export type TenantSettingsPatch = z.infer<typeof TenantSettingsPatchSchema>;

export const TenantConfigSchema = z.strictObject({
  workers: z.array(WorkerConfigSchema),
  workflows: z.array(WorkflowConfigSchema),
  settings: TenantSettingsSchema.prefault({}),
  /** Bumped by every successful import; the store writes on condition of the version it read. */
  version: z.int().min(0),
});
export type TenantConfig = z.infer<typeof TenantConfigSchema>;

/** A tenant nobody has configured yet: every request is unrouted. */
export const EMPTY_TENANT_CONFIG: TenantConfig = {
  workers: [],
  workflows: [],
  settings: DEFAULT_TENANT_SETTINGS,
  version: 0,
};

/**
 * The DTO schemas used on import. REGARDS serialises an absent optional field as `null` in some
 * paths; null is read as "absent" so the default applies.
 */
const dropNullKeys =
  (keys: readonly string[]) =>
  (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const key of keys) if (copy[key] === null) delete copy[key];
    return copy;
  };

export const WorkerConfigDtoSchema = z.preprocess(dropNullKeys(['contentTypeOutput', 'keepErrors', 'retry', 'deadlines']), WorkerConfigSchema);
export const WorkflowConfigDtoSchema = z.preprocess(dropNullKeys(['keepErrors']), WorkflowConfigSchema);
