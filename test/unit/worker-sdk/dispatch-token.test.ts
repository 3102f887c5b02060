import { describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import type { OutboundMessage } from '../../../shared/contract/outbound-message.js';
import { readWorkItemHeaders } from '../../../shared/contract/work-item.js';
import { parseWorkerResponse } from '../../../shared/contract/worker-response.js';
import { malformedItemAnswer } from '../../../shared/worker-sdk/src/answers.js';
import { InvalidContentError } from '../../../shared/worker-sdk/src/errors.js';
import { JobRun, runHandler, type Outcome } from '../../../shared/worker-sdk/src/job.js';

const TOKEN = 'kX3v9Qm2Rr8_tY-0aB1cDe';

const WORK_ITEM_HEADERS = {
  [Header.tenant]: 'project-a',
  [Header.requestId]: 'req-1',
  [Header.owner]: 'o',
  [Header.session]: 's',
  [Header.contentType]: 'c',
  [Header.dispatchAttempt]: 4,
  [Header.dispatchToken]: TOKEN,
};

function newJob() {
  const read = readWorkItemHeaders(WORK_ITEM_HEADERS);
  if (!read.ok) throw new Error(read.reason);
  const published: OutboundMessage[] = [];
  const job = new JobRun({
    item: read.value,
    headers: WORK_ITEM_HEADERS,
    body: Buffer.from('{}'),
    redelivered: false,
    responseExchange: 'responses',
    signal: new AbortController().signal,
    publish: async (message) => {
      published.push(message);
    },
  });
  return { job, published };
}

function echoed(message: OutboundMessage | undefined) {
  if (message === undefined) throw new Error('no message');
  expect(message.headers[Header.dispatchToken]).toBe(TOKEN);
  expect(message.headers[Header.dispatchAttempt]).toBe(4);
  const parsed = parseWorkerResponse(Object.fromEntries(Object.entries(message.headers)), message.body);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

describe('the worker SDK echoes the dispatch token', () => {
  it('exposes it on the job', () => {
    expect(newJob().job.dispatchToken).toBe(TOKEN);
  });

  it('on RUNNING, SUCCESS, ERROR and INVALID_CONTENT', async () => {
    const { job, published } = newJob();
    await job.running('started');
    expect(echoed(published[0])).toMatchObject({ status: 'RUNNING', dispatchToken: TOKEN, dispatchAttempt: 4 });
    expect(echoed((job.success({ ok: true }) as Outcome).answer)).toMatchObject({ status: 'SUCCESS', dispatchToken: TOKEN });
    expect(echoed((job.error('boom') as Outcome).answer)).toMatchObject({ status: 'ERROR', dispatchToken: TOKEN });
    expect(echoed((job.invalid('bad') as Outcome).answer)).toMatchObject({ status: 'INVALID_CONTENT', dispatchToken: TOKEN });
  });

  it('on the answers the runtime makes of a thrown error', async () => {
    const invalid = await runHandler(newJob().job, () => {
      throw new InvalidContentError('not json');
    });
    expect(echoed(invalid.answer)).toMatchObject({ status: 'INVALID_CONTENT', dispatchToken: TOKEN });
    const crashed = await runHandler(newJob().job, () => {
      throw new Error('bug');
    });
    expect(echoed(crashed.answer)).toMatchObject({ status: 'ERROR', dispatchToken: TOKEN });
  });

  it('on the ERROR answer to a work item the contract refuses', () => {
    const { [Header.owner]: _owner, ...withoutOwner } = WORK_ITEM_HEADERS;
    const refused = malformedItemAnswer(withoutOwner, 'header regards.request.owner is missing', 'responses');
    expect(echoed(refused?.answer)).toMatchObject({ status: 'ERROR', dispatchToken: TOKEN });
  });

  it('leaves the header out when the work item had none (a REGARDS manager)', () => {
    const { [Header.dispatchToken]: _token, ...regards } = WORK_ITEM_HEADERS;
    const read = readWorkItemHeaders(regards);
    if (!read.ok) throw new Error(read.reason);
    const job = new JobRun({
      item: read.value,
      headers: regards,
      body: Buffer.from('{}'),
      redelivered: false,
      responseExchange: 'responses',
      signal: new AbortController().signal,
      publish: async () => {},
    });
    expect(job.dispatchToken).toBeUndefined();
    expect(Header.dispatchToken in ((job.success() as Outcome).answer?.headers ?? {})).toBe(false);
  });
});
