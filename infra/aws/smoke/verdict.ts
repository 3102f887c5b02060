import * as z from 'zod';
import { AppError } from '../../../shared/kernel/errors.js';
import type { QueueType } from '../../../shared/contract/topology.js';

/*
 * The smoke test's judgement, kept pure so that it is tested here against answers shaped as the AWS
 * APIs give them (test/infra/smoke-verdict.test.ts): parsing the stack outputs and the event source
 * mappings, and turning what the run observed into one verdict line. run.ts does the I/O.
 */

export class SmokeSetupError extends AppError {
  public override readonly name = 'SmokeSetupError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** `aws cloudformation describe-stacks` (DescribeStacks), the part read here. */
const DescribeStacksAnswerSchema = z.object({
  Stacks: z.array(
    z.object({
      StackName: z.string(),
      StackStatus: z.string(),
      Outputs: z.array(z.object({ OutputKey: z.string(), OutputValue: z.string() })).default([]),
    }),
  ),
});

/** The outputs of one stack by key; a stack that is not deployed, or still changing, is refused. */
export function stackOutputs(answer: unknown, stackName: string): Record<string, string> {
  const parsed = DescribeStacksAnswerSchema.safeParse(answer);
  if (!parsed.success) throw new SmokeSetupError(`DescribeStacks answered something unexpected for ${stackName}: ${z.prettifyError(parsed.error)}`);
  const stack = parsed.data.Stacks.find((candidate) => candidate.StackName === stackName);
  if (stack === undefined) throw new SmokeSetupError(`stack ${stackName} not found: deploy it first (npx cdk deploy -c env=… --all)`);
  if (!/_COMPLETE$/.test(stack.StackStatus) || /ROLLBACK|DELETE/.test(stack.StackStatus)) {
    throw new SmokeSetupError(`stack ${stackName} is ${stack.StackStatus}, not deployed`);
  }
  return Object.fromEntries(stack.Outputs.map((output) => [output.OutputKey, output.OutputValue]));
}

/** One entry of the stateless stack's `EventSourceMappings` output. */
const MappingOutputSchema = z.object({ function: z.string().min(1), queue: z.string().min(1), uuid: z.string().min(1) });
export type MappingOutput = z.infer<typeof MappingOutputSchema>;

export const SmokeTargetsSchema = z.object({
  amqpEndpoint: z.string().startsWith('amqps://'),
  virtualHost: z.string().min(1),
  clientSecretArn: z.string().startsWith('arn:'),
  workerSecretArn: z.string().startsWith('arn:'),
  adminSecretArn: z.string().startsWith('arn:'),
  apiUrl: z.url(),
  jwtSecretArn: z.string().startsWith('arn:'),
  mappings: z.array(MappingOutputSchema).min(1),
});
export type SmokeTargets = z.infer<typeof SmokeTargetsSchema>;

/** What the run needs from both stacks' outputs; every missing output is named. */
export function smokeTargets(stateful: Record<string, string>, stateless: Record<string, string>): SmokeTargets {
  const wanted = {
    amqpEndpoint: stateful['AmqpEndpoint'],
    virtualHost: stateful['VirtualHost'],
    clientSecretArn: stateful['ClientCredentialsSecretArn'],
    workerSecretArn: stateful['WorkerCredentialsSecretArn'],
    adminSecretArn: stateful['BrokerCredentialsSecretArn'],
    apiUrl: stateless['ApiUrl'],
    jwtSecretArn: stateless['JwtSecretArn'],
    mappings: parseJson(stateless['EventSourceMappings']),
  };
  const parsed = SmokeTargetsSchema.safeParse(wanted);
  if (!parsed.success) throw new SmokeSetupError(`the stack outputs are not what this smoke test reads:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `aws lambda get-event-source-mapping` (GetEventSourceMapping), the part judged here. */
export const EventSourceMappingAnswerSchema = z.object({
  UUID: z.string(),
  State: z.string(),
  StateTransitionReason: z.string().optional(),
  LastProcessingResult: z.string().optional(),
  FunctionArn: z.string(),
  Queues: z.array(z.string()).optional(),
});
export type EventSourceMappingAnswer = z.infer<typeof EventSourceMappingAnswerSchema>;

export type RequestOutcome = 'SUCCESS' | 'ERROR';

export interface SmokeObservations {
  environment: string;
  /** Each request sent, the final state it must reach (ERROR for the forced failure), and what the manager says it reached. */
  requests: { id: string; expected: RequestOutcome; observed: string | undefined }[];
  mappings: { expected: MappingOutput; answer: EventSourceMappingAnswer | undefined }[];
  /** Depth of each dead-letter queue before and after the run. */
  deadLetters: { queue: string; before: number; after: number }[];
  /** The type the broker reports for each input queue, and the one the settings ask for. */
  inputQueues: { queue: string; expected: QueueType; observed: string | undefined }[];
}

export interface SmokeVerdict {
  ok: boolean;
  problems: string[];
  /** The one line the run prints. */
  line: string;
}

const MAX_LISTED = 5;

const listed = (items: readonly string[]) => `${items.slice(0, MAX_LISTED).join(', ')}${items.length > MAX_LISTED ? `, … (${items.length} in all)` : ''}`;

/** Every check at once, so that one run shows everything that is wrong. */
export function judge(observations: SmokeObservations): SmokeVerdict {
  const problems: string[] = [];
  const wrong = observations.requests.filter((request) => request.observed !== request.expected);
  if (wrong.length > 0) {
    problems.push(
      `${wrong.length} of ${observations.requests.length} requests not in their final state: ${listed(wrong.map((r) => `${r.id} ${r.observed ?? 'unknown'} (want ${r.expected})`))}`,
    );
  }
  for (const { expected, answer } of observations.mappings) {
    const name = `mapping ${expected.function} (${expected.queue})`;
    if (answer === undefined) {
      problems.push(`${name}: not found (${expected.uuid})`);
      continue;
    }
    if (answer.State !== 'Enabled') problems.push(`${name}: ${answer.State}${answer.StateTransitionReason ? ` (${answer.StateTransitionReason})` : ''}`);
    // The run feeds every mapped queue (requests, answers, heartbeats, the forced dead letter): each must have processed a batch.
    if (answer.LastProcessingResult !== 'OK') problems.push(`${name}: last processing result ${answer.LastProcessingResult ?? 'none'}`);
  }
  const grown = observations.deadLetters.filter((queue) => queue.after > queue.before);
  if (grown.length > 0) problems.push(`new dead letters: ${listed(grown.map((queue) => `${queue.queue} +${queue.after - queue.before}`))}`);
  for (const queue of observations.inputQueues) {
    if (queue.observed !== queue.expected) problems.push(`input queue ${queue.queue} is ${queue.observed ?? 'missing'}, settings say ${queue.expected}`);
  }
  const forced = observations.requests.filter((request) => request.expected === 'ERROR').length;
  const types = [...new Set(observations.inputQueues.map((queue) => queue.expected))].join('/');
  const line =
    problems.length === 0
      ? `SMOKE PASS ${observations.environment}: ${observations.requests.length} requests final (${observations.requests.length - forced} SUCCESS, ${forced} ERROR as forced), ` +
        `${observations.mappings.length} mappings Enabled and OK, no new dead letter, input queues ${types}`
      : `SMOKE FAIL ${observations.environment}: ${problems.join('; ')}`;
  return { ok: problems.length === 0, problems, line };
}
