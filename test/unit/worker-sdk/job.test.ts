import { describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { parseWorkerResponse } from '../../../shared/contract/worker-response.js';
import type { OutboundMessage } from '../../../shared/contract/outbound-message.js';
import { InvalidContentError, JobClosedError } from '../../../shared/worker-sdk/src/errors.js';
import { describeThrown, encodeContent, JobRun, runHandler, toMessages, type JobOutcome, type Outcome } from '../../../shared/worker-sdk/src/job.js';

function newJob(overrides: { dispatchAttempt?: number; body?: string } = {}) {
  const published: OutboundMessage[] = [];
  const controller = new AbortController();
  const job = new JobRun({
    item: {
      tenant: 'project-a',
      requestId: 'req-1',
      owner: 'o',
      session: 's',
      contentType: 'c',
      ...(overrides.dispatchAttempt === undefined ? {} : { dispatchAttempt: overrides.dispatchAttempt }),
      additionalHeaders: { 'prev.step': '1' },
    },
    headers: { [Header.tenant]: 'project-a' },
    body: Buffer.from(overrides.body ?? '{"file":"a.dat"}'),
    redelivered: false,
    responseExchange: 'responses',
    signal: controller.signal,
    publish: async (message) => {
      published.push(message);
    },
  });
  return { job, published, controller };
}

function read(message: OutboundMessage | undefined) {
  if (message === undefined) throw new Error('no message');
  const headers = Object.fromEntries(Object.entries(message.headers));
  const parsed = parseWorkerResponse(headers, message.body);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

const answerOf = (outcome: JobOutcome) => read((outcome as Outcome).answer);

describe('JobRun outcomes', () => {
  it('builds a SUCCESS answer to the response exchange with the attempt echoed and the content as JSON', () => {
    const { job } = newJob({ dispatchAttempt: 2 });
    const outcome = job.success({ file: 'a.dat', extracted: true }, { 'extract.file': 'a.dat' });
    const message = (outcome as Outcome).answer;
    expect(message?.exchange).toBe('responses');
    expect(message?.headers).toEqual({ [Header.tenant]: 'project-a', [Header.requestId]: 'req-1', [Header.dispatchAttempt]: 2 });
    expect(answerOf(outcome)).toMatchObject({ status: 'SUCCESS', messages: [], additionalHeaders: { 'extract.file': 'a.dat' }, dispatchAttempt: 2 });
    expect(JSON.parse(answerOf(outcome).content?.toString() ?? '')).toEqual({ file: 'a.dat', extracted: true });
  });

  it('leaves the attempt header out when the work item had none, and the content out when there is none', () => {
    const { job } = newJob();
    const outcome = job.success();
    expect(Object.keys((outcome as Outcome).answer?.headers ?? {})).toEqual([Header.tenant, Header.requestId]);
    expect(answerOf(outcome).content).toBeNull();
    expect(JSON.parse(Buffer.from((outcome as Outcome).answer?.body ?? []).toString())).toEqual({ status: 'SUCCESS', messages: [], additionalHeaders: {} });
  });

  it('builds ERROR and INVALID_CONTENT with their messages, and a reject that answers nothing', () => {
    const { job } = newJob();
    expect(answerOf(job.error('boom'))).toMatchObject({ status: 'ERROR', messages: ['boom'] });
    expect(answerOf(job.invalid(['a', 'b']))).toMatchObject({ status: 'INVALID_CONTENT', messages: ['a', 'b'] });
    const rejected = job.reject('corrupt') as Outcome;
    expect(rejected).toMatchObject({ kind: 'reject', status: 'REJECTED', messages: ['corrupt'], answer: undefined });
  });

  it('throws at once for additional headers the contract refuses', () => {
    const { job } = newJob();
    expect(() => job.success(null, { n: 1 as unknown as string })).toThrow(/invalid worker response/);
  });

  it('publishes RUNNING through the confirmed path, and refuses it once the job ended or its item was given back', async () => {
    const { job, published, controller } = newJob({ dispatchAttempt: 1 });
    await job.running(['started']);
    expect(read(published[0])).toMatchObject({ status: 'RUNNING', messages: ['started'], dispatchAttempt: 1 });

    controller.abort(new Error('channel lost'));
    await expect(job.running()).rejects.toBeInstanceOf(JobClosedError);
    await expect(job.running()).rejects.toThrow(/channel lost/);

    const ended = newJob();
    ended.job.finish();
    await expect(ended.job.running()).rejects.toThrow(/already has its final answer/);
    expect(ended.published).toEqual([]);
  });

  it('reads the body as text and JSON, and reports a body that is not JSON as invalid content', () => {
    expect(newJob().job.json()).toEqual({ file: 'a.dat' });
    expect(newJob({ body: 'héllo' }).job.text()).toBe('héllo');
    expect(() => newJob({ body: '{oops' }).job.json()).toThrow(InvalidContentError);
  });
});

describe('runHandler', () => {
  it('keeps the outcome the handler returned, and ends the job', async () => {
    const { job } = newJob();
    const outcome = await runHandler(job, (j) => j.success('x'));
    expect(outcome.status).toBe('SUCCESS');
    await expect(job.running()).rejects.toBeInstanceOf(JobClosedError);
  });

  it('turns a thrown error into ERROR with its message, and InvalidContentError into INVALID_CONTENT', async () => {
    expect(await runHandler(newJob().job, () => Promise.reject(new Error('disk full')))).toMatchObject({ status: 'ERROR', messages: ['disk full'] });
    expect(await runHandler(newJob().job, () => Promise.reject(new InvalidContentError('no file')))).toMatchObject({
      status: 'INVALID_CONTENT',
      messages: ['no file'],
    });
    expect(await runHandler(newJob().job, () => Promise.reject('plain string'))).toMatchObject({ status: 'ERROR', messages: ['plain string'] });
  });

  it('dead-letters a thrown error rejectOn picks, and survives a rejectOn that throws', async () => {
    const rejectOn = (error: unknown) => error instanceof RangeError;
    expect(await runHandler(newJob().job, () => Promise.reject(new RangeError('never works')), rejectOn)).toMatchObject({
      kind: 'reject',
      messages: ['never works'],
    });
    expect(await runHandler(newJob().job, () => Promise.reject(new Error('retry me')), rejectOn)).toMatchObject({ kind: 'answer', status: 'ERROR' });
    const broken = () => {
      throw new Error('predicate bug');
    };
    expect(await runHandler(newJob().job, () => Promise.reject(new Error('x')), broken)).toMatchObject({
      status: 'ERROR',
      messages: ['x', 'rejectOn failed: predicate bug'],
    });
  });

  it('answers ERROR when the handler returns no outcome, or the outcome of another job', async () => {
    const other = newJob().job;
    const none = await runHandler(newJob().job, () => undefined as unknown as JobOutcome);
    expect(none.status).toBe('ERROR');
    expect(none.messages[0]).toMatch(/returned no outcome/);
    const foreign = await runHandler(newJob().job, () => other.success());
    expect(foreign.status).toBe('ERROR');
    expect(foreign.messages[0]).toMatch(/another job/);
  });
});

describe('helpers', () => {
  it('encodes content: bytes as they are, text as UTF-8, the rest as JSON, nothing as null', () => {
    const bytes = new Uint8Array([1, 2]);
    expect(encodeContent(bytes)).toBe(bytes);
    expect(Buffer.from(encodeContent('é') ?? []).toString()).toBe('é');
    expect(Buffer.from(encodeContent([1, { a: 2 }]) ?? []).toString()).toBe('[1,{"a":2}]');
    expect(encodeContent(null)).toBeNull();
    expect(encodeContent(undefined)).toBeNull();
    expect(() => encodeContent((() => 1) as unknown as object)).toThrow(TypeError);
  });

  it('describes anything thrown, and takes one message or several', () => {
    expect(describeThrown(new Error('m'))).toBe('m');
    expect(describeThrown(new TypeError(''))).toBe('TypeError');
    expect(describeThrown({ code: 7 })).toBe('{"code":7}');
    expect(describeThrown(undefined)).toBe('undefined');
    expect(toMessages('one')).toEqual(['one']);
    expect(toMessages(['a', 'b'])).toEqual(['a', 'b']);
    expect(toMessages(undefined)).toEqual([]);
  });
});
