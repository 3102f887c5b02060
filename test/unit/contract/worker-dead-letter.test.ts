import { describe, expect, it } from 'vitest';
import { normalizeAmazonMqEvent } from '../../../shared/contract/amazon-mq-event.js';
import type { Headers } from '../../../shared/contract/headers.js';
import { UNKNOWN_WORKER_ERROR, describeDeath, parseWorkerDeadLetter, readXDeath } from '../../../shared/contract/worker-dead-letter.js';
import { DLQ_QUEUE, loadFixture } from './fixtures/load.js';

const BASE: Headers = { 'regards.tenant': 'project1', 'regards.request.id': 'req-002' };
const QUEUE = 'regards.worker.extract-worker.request';

function death(reason: string, extra: Record<string, string | number> = {}) {
  return { count: 1, reason, queue: QUEUE, exchange: QUEUE, 'routing-keys': ['#'], time: 1722591910, ...extra };
}

describe('parseWorkerDeadLetter', () => {
  it('reads the real-shaped dead letter of the event', () => {
    const message = normalizeAmazonMqEvent(loadFixture('amazon-mq-event.json')).messages.find((m) => m.queue === DLQ_QUEUE);
    expect(parseWorkerDeadLetter(message?.headers ?? {})).toEqual({
      ok: true,
      value: {
        tenant: 'project1',
        requestId: 'req-002',
        dispatchAttempt: 3,
        reason: `Work item rejected by a worker of queue <${QUEUE}>`,
        reasonSource: 'x-death',
        deaths: [{ count: 1, reason: 'rejected', queue: QUEUE, exchange: QUEUE, 'routing-keys': ['#'] }],
      },
    });
  });

  it('prefers the worker stack trace to x-death', () => {
    const parsed = parseWorkerDeadLetter({
      ...BASE,
      'x-exception-stacktrace': 'java.lang.IllegalStateException: boom\n\tat Worker.run(Worker.java:12)\n',
      'x-death': [death('rejected')],
    });
    expect(parsed.ok && [parsed.value.reason, parsed.value.reasonSource]).toEqual([
      'java.lang.IllegalStateException: boom\n\tat Worker.run(Worker.java:12)',
      'stacktrace',
    ]);
  });

  it('falls back to the reference default when nothing says why', () => {
    const parsed = parseWorkerDeadLetter(BASE);
    expect(parsed).toEqual({
      ok: true,
      value: { tenant: 'project1', requestId: 'req-002', reason: UNKNOWN_WORKER_ERROR, reasonSource: 'default', deaths: [] },
    });
    expect(UNKNOWN_WORKER_ERROR).toBe('Unknown error from worker');
  });

  it('treats an empty stack trace as absent', () => {
    const parsed = parseWorkerDeadLetter({ ...BASE, 'x-exception-stacktrace': '  ' });
    expect(parsed.ok && parsed.value.reasonSource).toBe('default');
  });

  it('ignores a stack trace that is not text and explains with x-death', () => {
    const parsed = parseWorkerDeadLetter({ ...BASE, 'x-exception-stacktrace': { a: 'b' }, 'x-death': [death('expired')] });
    expect(parsed.ok && parsed.value.reason).toBe(`Work item expired in queue <${QUEUE}> before a worker took it`);
  });

  it('uses the most recent death, which RabbitMQ puts first', () => {
    const parsed = parseWorkerDeadLetter({
      ...BASE,
      'x-death': [death('delivery_limit', { queue: 'second' }), death('rejected', { queue: 'first' })],
    });
    expect(parsed.ok && parsed.value.reason).toBe('Work item dead-lettered by queue <second> after reaching its delivery limit');
    expect(parsed.ok && parsed.value.deaths.map((d) => d.queue)).toEqual(['second', 'first']);
  });

  it('skips malformed x-death entries instead of refusing the dead letter', () => {
    const parsed = parseWorkerDeadLetter({ ...BASE, 'x-death': ['garbage', { reason: 7 }, death('maxlen')] });
    expect(parsed.ok && parsed.value.reason).toBe(`Work item dropped by queue <${QUEUE}>, which reached its maximum length`);
    expect(parsed.ok && parsed.value.deaths).toHaveLength(1);
  });

  it('ignores an x-death that is not a list', () => {
    const parsed = parseWorkerDeadLetter({ ...BASE, 'x-death': 'rejected' });
    expect(parsed.ok && parsed.value.reasonSource).toBe('default');
  });

  it('falls back to the x-last-death and x-first-death headers when x-death is absent', () => {
    const last = parseWorkerDeadLetter({
      ...BASE,
      'x-last-death-reason': 'expired',
      'x-last-death-queue': 'q1',
      'x-first-death-reason': 'rejected',
      'x-first-death-queue': 'q0',
    });
    const first = parseWorkerDeadLetter({ ...BASE, 'x-first-death-reason': 'rejected', 'x-first-death-queue': 'q0' });
    expect(last.ok && last.value.reason).toBe('Work item expired in queue <q1> before a worker took it');
    expect(first.ok && first.value.reason).toBe('Work item rejected by a worker of queue <q0>');
  });

  it('reads the attempt and a numeric request id', () => {
    const parsed = parseWorkerDeadLetter({ ...BASE, 'regards.request.id': 9, 'wm.dispatch.attempt': '2' });
    expect(parsed.ok && [parsed.value.requestId, parsed.value.dispatchAttempt]).toEqual(['9', 2]);
  });

  it.each([
    ['no tenant', { 'regards.request.id': 'r' }, 'header regards.tenant is missing'],
    ['no request id', { 'regards.tenant': 't' }, 'header regards.request.id is missing'],
    ['an empty request id', { ...BASE, 'regards.request.id': '' }, 'header regards.request.id is missing'],
    ['a tenant list', { ...BASE, 'regards.tenant': ['t'] }, 'header regards.tenant must be a string, got array'],
    ['a bad attempt', { ...BASE, 'wm.dispatch.attempt': 'x' }, 'header wm.dispatch.attempt must be a non-negative integer, got "x"'],
  ])('refuses a dead letter with %s', (_label, headers, reason) => {
    expect(parseWorkerDeadLetter(headers)).toEqual({ ok: false, reason });
  });
});

describe('describeDeath', () => {
  it.each([
    ['rejected', `Work item rejected by a worker of queue <${QUEUE}>`],
    ['expired', `Work item expired in queue <${QUEUE}> before a worker took it`],
    ['maxlen', `Work item dropped by queue <${QUEUE}>, which reached its maximum length`],
    ['delivery_limit', `Work item dead-lettered by queue <${QUEUE}> after reaching its delivery limit`],
    ['something_new', `Work item dead-lettered by queue <${QUEUE}> (reason: something_new)`],
  ])('explains %s', (reason, text) => {
    expect(describeDeath({ reason, queue: QUEUE })).toBe(text);
  });

  it('says how many times when more than once', () => {
    expect(describeDeath({ reason: 'rejected', queue: 'q', count: 4 })).toBe('Work item rejected by a worker of queue <q> (dead-lettered 4 times)');
    expect(describeDeath({ reason: 'rejected', queue: 'q', count: 1 })).toBe('Work item rejected by a worker of queue <q>');
  });
});

describe('readXDeath', () => {
  it('keeps the known fields of each entry', () => {
    expect(readXDeath({ 'x-death': [death('rejected')] })).toEqual([{ count: 1, reason: 'rejected', queue: QUEUE, exchange: QUEUE, 'routing-keys': ['#'] }]);
  });

  it('refuses an entry with a negative count or no queue', () => {
    expect(readXDeath({ 'x-death': [death('rejected', { count: -1 }), { reason: 'rejected' }] })).toEqual([]);
  });
});
