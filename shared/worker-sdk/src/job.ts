import type { Headers } from '../../contract/headers.js';
import { parseJsonBody } from '../../contract/json-body.js';
import type { WorkItemHeaders } from '../../contract/work-item.js';
import { buildWorkerResponse, type WorkerResponseFields } from '../../contract/worker-response.js';
import type { OutboundMessage } from '../../contract/outbound-message.js';
import { InvalidContentError, JobClosedError } from './errors.js';

/** What `job.success()` accepts: bytes as they are, text as UTF-8, anything else as JSON. */
export type JobContent = Uint8Array | string | object;
/** One message or several; REGARDS joins them with `,` into the request's error. */
export type JobMessages = string | readonly string[];

export type WorkerResponseStatus = WorkerResponseFields['status'];
export type FinalStatus = Exclude<WorkerResponseStatus, 'RUNNING'>;

/**
 * How a job ends, made by the job's own methods and returned by the handler. `reject` answers
 * nothing: the work item is dead-lettered to the manager's worker DLQ.
 */
export interface JobOutcome {
  readonly kind: 'answer' | 'reject';
  readonly status: FinalStatus | 'REJECTED';
  readonly messages: readonly string[];
}

/** One work item being handled. */
export interface Job {
  readonly tenant: string;
  readonly requestId: string;
  readonly owner: string;
  readonly session: string;
  /** The ORIGINAL request content type (for a workflow, the workflow type at every step). */
  readonly contentType: string;
  /** Our fencing token, echoed in every answer; undefined when a REGARDS manager sent the item. */
  readonly dispatchAttempt: number | undefined;
  /**
   * The dispatch's unguessable token, echoed in every answer: the manager applies an answer only
   * when it carries the current dispatch's token. Undefined when a REGARDS manager sent the item.
   */
  readonly dispatchToken: string | undefined;
  /** Headers the previous workflow step returned. */
  readonly additionalHeaders: Readonly<Record<string, string>>;
  /** Every header of the work item, decoded. */
  readonly headers: Readonly<Headers>;
  readonly body: Buffer;
  /** The broker delivered this item before (to this or another instance): its work may be half done. */
  readonly redelivered: boolean;
  /**
   * Aborted when the work item went back to the broker (connection lost, stop() timed out): it will
   * be redelivered, and whatever this job answers now is dropped.
   */
  readonly signal: AbortSignal;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body as JSON; throws InvalidContentError (answered INVALID_CONTENT) when it is not JSON. */
  json(): unknown;
  /** Tells the manager the job is running; resolves once the broker confirmed the message. */
  running(messages?: JobMessages): Promise<void>;
  success(content?: JobContent | null, additionalHeaders?: Readonly<Record<string, string>>): JobOutcome;
  error(messages: JobMessages): JobOutcome;
  invalid(messages: JobMessages): JobOutcome;
  /** Dead-letters the work item; the reason is only logged (see README: it cannot travel on a nack). */
  reject(reason: string): JobOutcome;
}

export interface JobInit {
  item: WorkItemHeaders;
  headers: Headers;
  body: Buffer;
  redelivered: boolean;
  /** The manager's worker response exchange. */
  responseExchange: string;
  signal: AbortSignal;
  /** Publishes one message and resolves once the broker confirmed it. */
  publish: (message: OutboundMessage) => Promise<void>;
}

/** The outcome as the worker runtime reads it: the answer is built (and validated) up front. */
export class Outcome implements JobOutcome {
  public constructor(
    public readonly job: JobRun,
    public readonly kind: 'answer' | 'reject',
    public readonly status: FinalStatus | 'REJECTED',
    public readonly messages: readonly string[],
    /** Set for answers. */
    public readonly answer: OutboundMessage | undefined,
  ) {}
}

export class JobRun implements Job {
  public readonly tenant: string;
  public readonly requestId: string;
  public readonly owner: string;
  public readonly session: string;
  public readonly contentType: string;
  public readonly dispatchAttempt: number | undefined;
  public readonly dispatchToken: string | undefined;
  public readonly additionalHeaders: Readonly<Record<string, string>>;
  public readonly headers: Readonly<Headers>;
  public readonly body: Buffer;
  public readonly redelivered: boolean;
  public readonly signal: AbortSignal;
  private readonly responseExchange: string;
  private readonly publish: (message: OutboundMessage) => Promise<void>;
  private finished = false;

  public constructor(init: JobInit) {
    this.tenant = init.item.tenant;
    this.requestId = init.item.requestId;
    this.owner = init.item.owner;
    this.session = init.item.session;
    this.contentType = init.item.contentType;
    this.dispatchAttempt = init.item.dispatchAttempt;
    this.dispatchToken = init.item.dispatchToken;
    this.additionalHeaders = Object.freeze({ ...init.item.additionalHeaders });
    this.headers = Object.freeze({ ...init.headers });
    this.body = init.body;
    this.redelivered = init.redelivered;
    this.signal = init.signal;
    this.responseExchange = init.responseExchange;
    this.publish = init.publish;
  }

  public text(): string {
    return this.body.toString('utf8');
  }

  public json(): unknown {
    const read = parseJsonBody(this.body);
    if (!read.ok) throw new InvalidContentError(`work item ${read.reason}`);
    return read.value;
  }

  public async running(messages?: JobMessages): Promise<void> {
    if (this.finished) throw new JobClosedError(`request ${this.requestId} already has its final answer; RUNNING not sent`);
    this.throwIfGivenBack();
    await this.publish(this.response('RUNNING', toMessages(messages)));
  }

  public success(content?: JobContent | null, additionalHeaders?: Readonly<Record<string, string>>): JobOutcome {
    const encoded = encodeContent(content);
    return new Outcome(this, 'answer', 'SUCCESS', [], this.response('SUCCESS', [], additionalHeaders, encoded));
  }

  public error(messages: JobMessages): JobOutcome {
    const list = toMessages(messages);
    return new Outcome(this, 'answer', 'ERROR', list, this.response('ERROR', list));
  }

  public invalid(messages: JobMessages): JobOutcome {
    const list = toMessages(messages);
    return new Outcome(this, 'answer', 'INVALID_CONTENT', list, this.response('INVALID_CONTENT', list));
  }

  public reject(reason: string): JobOutcome {
    return new Outcome(this, 'reject', 'REJECTED', [reason], undefined);
  }

  /** Called by the runtime once the handler is done: later RUNNING updates would rewind the request. */
  public finish(): void {
    this.finished = true;
  }

  private throwIfGivenBack(): void {
    if (this.signal.aborted) {
      throw new JobClosedError(`the work item of request ${this.requestId} was given back to the broker: ${describeThrown(this.signal.reason)}`, {
        cause: this.signal.reason,
      });
    }
  }

  private response(
    status: WorkerResponseStatus,
    messages: readonly string[],
    additionalHeaders?: Readonly<Record<string, string>>,
    content?: Uint8Array | null,
  ): OutboundMessage {
    return buildWorkerResponse(
      { exchange: this.responseExchange },
      {
        tenant: this.tenant,
        requestId: this.requestId,
        ...(this.dispatchAttempt === undefined ? {} : { dispatchAttempt: this.dispatchAttempt }),
        ...(this.dispatchToken === undefined ? {} : { dispatchToken: this.dispatchToken }),
        status,
        messages,
        ...(additionalHeaders === undefined ? {} : { additionalHeaders }),
        ...(content == null ? {} : { content }),
      },
    );
  }
}

/**
 * Runs the handler and turns whatever it did into the job's outcome. Never throws: a handler bug
 * must become an answer, or the work item would sit unacknowledged until the connection drops.
 */
export async function runHandler(
  job: JobRun,
  handle: (job: Job) => Promise<JobOutcome> | JobOutcome,
  rejectOn?: (error: unknown, job: Job) => boolean,
): Promise<Outcome> {
  let result: unknown;
  try {
    result = await handle(job);
  } catch (error) {
    return outcomeOfThrown(job, error, rejectOn);
  } finally {
    job.finish();
  }
  if (result instanceof Outcome && result.job === job) return result;
  if (result instanceof Outcome) {
    return asOutcome(job.error(`the handler returned the outcome of another job (request ${result.job.requestId})`));
  }
  return asOutcome(job.error('the handler returned no outcome; it must return job.success(), job.error(), job.invalid() or job.reject()'));
}

function outcomeOfThrown(job: JobRun, error: unknown, rejectOn: ((error: unknown, job: Job) => boolean) | undefined): Outcome {
  const message = describeThrown(error);
  if (error instanceof InvalidContentError) return asOutcome(job.invalid(message));
  let reject: boolean;
  try {
    reject = rejectOn?.(error, job) === true;
  } catch (predicateError) {
    return asOutcome(job.error([message, `rejectOn failed: ${describeThrown(predicateError)}`]));
  }
  return asOutcome(reject ? job.reject(message) : job.error(message));
}

function asOutcome(outcome: JobOutcome): Outcome {
  if (!(outcome instanceof Outcome)) throw new TypeError('not an outcome made by a job');
  return outcome;
}

export function toMessages(messages: JobMessages | undefined): string[] {
  if (messages === undefined) return [];
  return typeof messages === 'string' ? [messages] : [...messages];
}

export function encodeContent(content: JobContent | null | undefined): Uint8Array | null {
  if (content === null || content === undefined) return null;
  if (content instanceof Uint8Array) return content;
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  const text: unknown = JSON.stringify(content);
  if (typeof text !== 'string') throw new TypeError('the content cannot be written as JSON');
  return Buffer.from(text, 'utf8');
}

/** The text an ERROR answer carries for something thrown. */
export function describeThrown(error: unknown): string {
  if (error instanceof Error) return error.message.trim() === '' ? error.name : error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
