import * as z from 'zod';
import { ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { BaseEnvSchema } from '../../../shared/lambda/env.js';
import { AppError } from '../../../shared/kernel/errors.js';

/*
 * The deployable environments, as one typed configuration. `settings` is parsed by the schema the
 * local host reads, so queue names and batching can never differ between the two hosts; the rest
 * are knobs only AWS has. `cdk deploy -c env=dev` picks one.
 */

/** The retention periods CloudWatch Logs accepts (aws-logs RetentionDays). */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const userName = z
  .string()
  .regex(/^[A-Za-z0-9_.~-]{2,100}$/, 'letters, digits and - _ . ~ (Amazon MQ user name rules)')
  .refine((name) => !name.startsWith('amazonmq'), 'names starting with amazonmq are reserved');

export const BrokerConfigSchema = z
  .object({
    /**
     * Pinned, not "latest": Amazon MQ upgrades minor versions itself from 3.13 on, but a major
     * version changes queue semantics (4.x defaults to quorum queues, 4.3 changes delivery counts).
     */
    engineVersion: z.enum(['3.13', '4.2']),
    instanceType: z.string().regex(/^mq\.[a-z0-9]+\.[a-z0-9]+$/, 'an Amazon MQ host instance type, e.g. mq.m5.large'),
    /** A single instance is down during its weekly maintenance window, and Lambda then processes nothing. */
    deploymentMode: z.enum(['SINGLE_INSTANCE', 'CLUSTER_MULTI_AZ']),
    /** Amazon MQ brokers start with `/` only; another vhost is created by the broker-topology resource. */
    virtualHost: z.string().min(1).default('/'),
    /** The broker's administrator, created with the broker: operators and the topology step only. */
    username: userName.default('worker-manager'),
    /**
     * The users the topology step creates and keeps through the management API, each with the
     * least permissions of its role (`brokerPermissions`), its password in a secret of its own.
     */
    users: z
      .object({
        /** The functions and the event source mappings. */
        manager: userName.default('wm-manager'),
        /** REGARDS clients: publish requests, read responses. */
        clients: userName.default('wm-clients'),
        /** REGARDS workers: their queues, heartbeats, responses. */
        workers: userName.default('wm-workers'),
      })
      .prefault({}),
    /**
     * `public`: reachable from the internet (TLS and passwords only; Amazon MQ gives a public broker
     * no security group). `private`: in a VPC of its own, reached by the functions and the event
     * source mappings through it, with interface endpoints for the AWS services they call.
     */
    access: z.enum(['public', 'private']).default('public'),
    /** Availability zones of the private network (subnets, interface endpoints): each adds endpoint hours. */
    availabilityZones: z.number().int().min(1).max(3).default(2),
    maintenanceWindow: z
      .object({
        dayOfWeek: z.enum(['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY']),
        timeOfDay: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM'),
        timeZone: z.string().min(1).default('UTC'),
      })
      .default({ dayOfWeek: 'SUNDAY', timeOfDay: '03:00', timeZone: 'UTC' }),
  })
  .superRefine((broker, ctx) => {
    if (broker.engineVersion.startsWith('4.') && !broker.instanceType.startsWith('mq.m7g.')) {
      ctx.addIssue({ code: 'custom', path: ['instanceType'], message: 'RabbitMQ 4.x runs on mq.m7g.* instances only' });
    }
    if (broker.deploymentMode === 'CLUSTER_MULTI_AZ' && broker.instanceType === 'mq.t3.micro') {
      ctx.addIssue({ code: 'custom', path: ['instanceType'], message: 'mq.t3.micro supports SINGLE_INSTANCE only' });
    }
    const names = [broker.username, broker.users.manager, broker.users.clients, broker.users.workers];
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', path: ['users'], message: 'the administrator and the three users need four different names' });
    }
  });
export type BrokerConfig = z.infer<typeof BrokerConfigSchema>;

export const EnvironmentConfigSchema = z
  .object({
    /** Part of every stack name: `WorkerManager-<name>-Stateful`. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/),
    /** Left out, the stacks follow the CLI's account and region (or stay environment-agnostic offline). */
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
      .optional(),
    settings: ManagerSettingsSchema.prefault({}),
    broker: BrokerConfigSchema,
    /** `retain` keeps the table (with deletion protection), the broker and its secret when a stack is deleted. */
    removalPolicy: z.enum(['destroy', 'retain']),
    logRetentionDays: z.union(LOG_RETENTION_DAYS.map((days) => z.literal(days))),
    /** LOG_LEVEL of every function. */
    logLevel: BaseEnvSchema.shape.LOG_LEVEL,
    functions: z
      .object({
        memorySizeMb: z.number().int().min(128).max(10_240).default(512),
        /** Lambda may retry an MQ invocation that runs past 14 minutes; stay far below. */
        mqTimeoutSeconds: z.number().int().min(3).max(840).default(60),
        /** Below the 60 s schedule period, so two sweeps of one environment do not overlap. */
        sweepTimeoutSeconds: z.number().int().min(3).max(59).default(50),
        /**
         * One run of a bulk job. A run stops while 30 s are left and re-invokes itself, so a run
         * needs well over 30 s; a few minutes keeps the number of hand-overs small.
         */
        bulkJobsTimeoutSeconds: z.number().int().min(90).max(900).default(300),
        /** Bulk jobs running at once (each is one invocation at a time); more wait, throttled and retried by Lambda. */
        bulkJobsReservedConcurrency: z.number().int().min(1).max(100).default(5),
        /** BULK_JOB_MAX_PAGES of run-bulk-jobs (pages of 200 requests per run); the function's default when left out. */
        bulkJobsMaxPages: z.number().int().min(1).optional(),
      })
      .prefault({}),
    alarms: z
      .object({
        /** Messages in a dead-letter queue that raise the alarm; one lost request is already worth a look. */
        deadLetterMessages: z.number().int().min(1).default(1),
        /** Ready messages on an input queue that count as a backlog: its function cannot keep up (or its mapping stopped). */
        backlogMessages: z.number().int().min(1).default(10_000),
        /** How long the backlog must last before the alarm fires. */
        backlogMinutes: z.number().int().min(5).max(1_440).default(15),
        /** Failed invocations of one function within 5 minutes. */
        functionErrors: z.number().int().min(1).default(1),
        /** 5xx answers of the admin API within 5 minutes. */
        apiServerErrors: z.number().int().min(1).default(1),
        /** Broker memory in use, in percent of its high watermark (RabbitMQMemLimit): at 100 % RabbitMQ blocks every publisher. */
        brokerMemoryPercent: z.number().min(1).max(100).default(80),
        /** Free disk as a multiple of the low watermark (RabbitMQDiskFreeLimit): at 1 RabbitMQ blocks every publisher. */
        brokerDiskFreeMultiple: z.number().min(1).default(2),
        /**
         * Connections to the broker (ConnectionCount). Amazon MQ caps them per instance type; the
         * functions hold one per warm instance, so a rise is a leak or a storm of cold starts.
         */
        brokerConnections: z.number().int().min(1).default(1_000),
        /** A function whose longest run within 5 minutes reaches this share of its timeout is about to time out. */
        durationTimeoutPercent: z.number().min(1).max(100).default(80),
        /** Throttled invocations of one function within 5 minutes (for a queue-fed function a throttled batch is redelivered). */
        functionThrottles: z.number().int().min(1).default(1),
        /** Throttled DynamoDB reads + writes of the table (and its indexes) within 5 minutes. */
        tableThrottles: z.number().int().min(1).default(1),
        /** A NO_WORKER_AVAILABLE request older than this, in every sweep for 15 minutes, means a worker type stays down. */
        oldestWaitingMinutes: z.number().int().min(1).default(30),
        /** Subscribed to the alarm topic when set. */
        email: z.email().optional(),
      })
      .prefault({}),
    /** The admin REST API (API Gateway REST, one stage, admin-api behind a proxy integration). */
    api: z
      .object({
        /** Stage-wide throttling: requests per second, and the burst above it. */
        throttlingRateLimit: z.number().min(1).default(50),
        throttlingBurstLimit: z.number().int().min(1).default(100),
        /** The stage: the last segment of the API URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>/`). */
        stageName: z
          .string()
          .regex(/^[A-Za-z0-9_]{1,128}$/, 'letters, digits and _')
          .default('v1'),
        /**
         * admin-api's timeout. API Gateway's REST integration gives up at 29 s (504, nothing logged
         * of the function's side); a second less lets the function time out first, in its own log
         * and its Errors alarm.
         */
        timeoutSeconds: z.number().int().min(3).max(28).default(28),
        /**
         * MAX_BODY_BYTES of admin-api. At most 4 MiB: a multipart body reaches the function base64
         * encoded (4/3 larger), inside Lambda's 6 MB synchronous request.
         */
        maxBodyBytes: z
          .number()
          .int()
          .min(1024)
          .max(4 * 1024 * 1024)
          .optional(),
        /** Browser origins allowed to call the API (the dashboard's); none by default. */
        corsAllowOrigins: z.array(z.string().min(1)).default([]),
        /**
         * How tokens are verified. `hmac`: HS256/384/512 with a secret the stack generates in Secrets
         * Manager (an operator mints tokens with it, or stores REGARDS' own signing secret there).
         * `jwks`: RS256 with the keys published at `jwksUrl` (an identity provider), no secret made.
         */
        auth: z
          .discriminatedUnion('kind', [z.object({ kind: z.literal('hmac') }), z.object({ kind: z.literal('jwks'), jwksUrl: z.url({ protocol: /^https$/ }) })])
          .default({ kind: 'hmac' }),
        /** Checked against the token's `iss` / `aud` when set. */
        issuer: z.string().min(1).optional(),
        audience: z.string().min(1).optional(),
        /**
         * API Gateway writes access logs only once the account (per region) names a CloudWatch role.
         * true: this stack creates that role and setting (kept when the stack is deleted, since
         * other APIs of the account may rely on it). false: the account already has one.
         */
        manageAccountLogRole: z.boolean().default(true),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    // A private network has no route to the internet (interface endpoints only, no NAT gateway).
    if (config.broker.access === 'private' && config.api.auth.kind === 'jwks') {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'auth'],
        message: "jwks keys are fetched over the internet, which a private broker's network does not reach: use hmac, or a public broker",
      });
    }
  });
export type EnvironmentConfig = z.infer<typeof EnvironmentConfigSchema>;
export type EnvironmentConfigInput = z.input<typeof EnvironmentConfigSchema>;

/** Every environment by name, as written by hand; parsed (and so defaulted and checked) by `environmentConfig`. */
export const ENVIRONMENTS = {
  dev: {
    broker: {
      engineVersion: '3.13',
      // The cheapest RabbitMQ host; single instance only.
      instanceType: 'mq.t3.micro',
      deploymentMode: 'SINGLE_INSTANCE',
    },
    removalPolicy: 'destroy',
    logRetentionDays: 7,
    // mq.t3.micro accepts about a hundred connections.
    alarms: { backlogMessages: 1_000, brokerConnections: 80 },
  },
  prod: {
    broker: {
      engineVersion: '3.13',
      // The smallest host a RabbitMQ cluster accepts on 3.13.
      instanceType: 'mq.m5.large',
      deploymentMode: 'CLUSTER_MULTI_AZ',
      // In a VPC; its three nodes and the endpoints over three zones.
      access: 'private',
      availabilityZones: 3,
    },
    removalPolicy: 'retain',
    logRetentionDays: 90,
    functions: { memorySizeMb: 1024 },
  },
} as const satisfies Record<string, Omit<EnvironmentConfigInput, 'name'>>;

export type EnvironmentName = keyof typeof ENVIRONMENTS;
export const ENVIRONMENT_NAMES = Object.keys(ENVIRONMENTS) as EnvironmentName[];

export class UnknownEnvironmentError extends AppError {
  public override readonly name = 'UnknownEnvironmentError';
  public constructor(message: string) {
    super(message);
  }
}

export function isEnvironmentName(name: string): name is EnvironmentName {
  return Object.hasOwn(ENVIRONMENTS, name);
}

/** The parsed configuration of one environment; a bad value fails the synth with the field's path. */
export function environmentConfig(name: string, overrides: Partial<EnvironmentConfigInput> = {}): EnvironmentConfig {
  if (!isEnvironmentName(name)) {
    throw new UnknownEnvironmentError(`unknown environment "${name}"; known: ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  const parsed = EnvironmentConfigSchema.safeParse({ ...ENVIRONMENTS[name], name, ...overrides });
  if (!parsed.success) {
    throw new Error(`environment "${name}" is misconfigured:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/**
 * The environments a CDK run works on, from the `env` context: one name, a comma-separated list,
 * or nothing for all of them (so a bare `cdk synth` checks every environment).
 */
export function selectEnvironments(context: unknown): EnvironmentName[] {
  if (context === undefined || context === null || context === '') return [...ENVIRONMENT_NAMES];
  if (typeof context !== 'string') throw new UnknownEnvironmentError('the env context must be a string, e.g. -c env=dev');
  const names = context
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!isEnvironmentName(name)) {
      throw new UnknownEnvironmentError(`unknown environment "${name}"; known: ${ENVIRONMENT_NAMES.join(', ')}`);
    }
  }
  return names as EnvironmentName[];
}
