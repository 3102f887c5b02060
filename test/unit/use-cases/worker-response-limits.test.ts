import { beforeEach, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { MAX_HISTORY_BYTES, MAX_STORED_ERROR_LENGTH } from '../../../shared/contract/limits.js';
import type { Request } from '../../../shared/domain/request/request.js';
import { REJECTION_REASON_HEADER } from '../../../shared/application/services/batch-effects.js';
import { sweep } from '../../../shared/application/use-cases/sweep.js';
import { bringAlive, configure, decodeJson, memoryWorld, type MemoryWorld } from '../../support/use-case-fixtures.js';
import { workerResponseDriver } from '../../support/worker-response-driver.js';

/* One oversized worker response never costs another its answer, and no answer can grow an item past DynamoDB's limit. */

const TENANT = 'tenant-a';
const KB = 1024;

/** Roughly what DynamoDB counts: binaries as bytes, everything else as its JSON text. */
function itemBytes(request: Request): number {
  const { content, originalContent, ...rest } = request;
  return content.length + (originalContent?.length ?? 0) + Buffer.byteLength(JSON.stringify(rest));
}

describe('worker response limits', () => {
  let world: MemoryWorld;
  const { names, deps, submit, stored, answer, respond } = workerResponseDriver(() => world, TENANT);

  function answersTo(requestId: string) {
    return world.bus
      .to(names.responseExchange)
      .filter((message) => message.headers[Header.requestId] === requestId)
      .map((message) => decodeJson(message.body) as { state: string; messages: string[] });
  }

  const hugeHeaders = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`h${i}`, 'v'.repeat(2 * KB)]));

  beforeEach(async () => {
    world = memoryWorld();
    await configure(world, TENANT, {
      workers: [
        { workerType: 'extract', contentTypeInputs: ['raw'], contentTypeOutput: 'extracted' },
        { workerType: 'pack', contentTypeInputs: ['extracted'] },
        { workerType: 'flaky', contentTypeInputs: ['flaky-in'], retry: { maxAttempts: 3, initialDelaySeconds: 10, jitter: 0 } },
      ],
      workflows: [
        {
          workflowType: 'chain',
          keepErrors: true,
          steps: [
            { stepNumber: 0, workerType: 'extract' },
            { stepNumber: 1, workerType: 'pack' },
          ],
        },
      ],
    });
    for (const type of ['extract', 'pack', 'flaky']) await bringAlive(world, type);
  });

  it('applies every good answer of a batch that also holds a 5 KB request id, a 1 MB error text and huge additional headers', async () => {
    for (const id of ['good-1', 'good-2', 'long-error']) await submit(id, 'raw');
    await submit('headers', 'chain');
    world.bus.clear();

    const report = await respond(
      answer({ requestId: 'good-1', status: 'SUCCESS', content: Buffer.from('one') }),
      answer({ requestId: 'x'.repeat(5 * KB), status: 'SUCCESS' }),
      answer({ requestId: 'long-error', status: 'ERROR', messages: ['e'.repeat(KB * KB)] }),
      answer({ requestId: 'headers', status: 'SUCCESS', content: Buffer.from('step'), additionalHeaders: hugeHeaders }),
      answer({ requestId: 'good-2', status: 'RUNNING', messages: ['working'] }),
    );

    expect(report).toMatchObject({ received: 5, deadLettered: 1 });
    const dead = world.bus.to(names.deadLetterExchange);
    expect(dead.map((message) => String(message.headers[REJECTION_REASON_HEADER]))).toEqual([
      'header regards.request.id is too long (5120 characters, at most 255 allowed)',
    ]);
    expect(answersTo('good-1').map((a) => a.state)).toEqual(['SUCCESS']);
    expect(await stored('good-2')).toMatchObject({ status: 'RUNNING', error: 'working' });

    const failed = await stored('long-error');
    expect(failed?.status).toBe('ERROR');
    expect(failed?.error).toHaveLength(MAX_STORED_ERROR_LENGTH);
    expect(failed?.error).toMatch(/^e+… \[truncated [\d,]+ characters\]$/);
    const [errorAnswer] = answersTo('long-error');
    expect(errorAnswer?.state).toBe('ERROR');
    expect(errorAnswer?.messages[0]?.length).toBeLessThan(MAX_STORED_ERROR_LENGTH + 200);

    expect(await stored('headers')).toMatchObject({
      status: 'ERROR',
      additionalHeaders: {},
      error: 'Step 0 returned additional headers too large to forward: 200 additional headers, at most 32 allowed',
    });
    expect(answersTo('headers').map((a) => a.state)).toEqual(['ERROR']);
    expect(world.bus.to('regards.worker.pack.request')).toEqual([]);
  });

  it('dead-letters only the answers about a request whose write the store refuses: its neighbours are applied', async () => {
    for (const id of ['before', 'refused', 'after']) await submit(id, 'raw');
    world.bus.clear();
    world.requests.refuses = (request) => request.requestId === 'refused' && request.status === 'RUNNING';

    const report = await respond(
      answer({ requestId: 'before', status: 'SUCCESS', content: Buffer.from('one') }),
      answer({ requestId: 'refused', status: 'RUNNING', messages: ['started'] }),
      answer({ requestId: 'refused', status: 'RUNNING', messages: ['half way'] }),
      answer({ requestId: 'after', status: 'ERROR', messages: ['bad input'] }),
    );

    expect(report).toMatchObject({ received: 4, deadLettered: 2, refused: 1 });
    const dead = world.bus.to(names.deadLetterExchange);
    expect(dead.map((message) => message.headers[Header.requestId])).toEqual(['refused', 'refused']);
    expect(String(dead[0]?.headers[REJECTION_REASON_HEADER])).toMatch(/^the store refused the update of request refused: /);
    expect(answersTo('before').map((a) => a.state)).toEqual(['SUCCESS']);
    expect(answersTo('after').map((a) => a.state)).toEqual(['ERROR']);
    expect(answersTo('refused')).toEqual([]);
    expect(await stored('refused')).toMatchObject({ status: 'DISPATCHED' });
  });

  it('ignores too-large additional headers where they would not be forwarded: a last step still succeeds', async () => {
    await submit('last', 'raw');
    await respond(answer({ requestId: 'last', status: 'SUCCESS', content: Buffer.from('out'), additionalHeaders: hugeHeaders }));
    expect(answersTo('last').map((a) => a.state)).toEqual(['GRANTED', 'SUCCESS']);
  });

  it('answers ERROR, rather than failing the batch, when a last step returns more content than an item can hold', async () => {
    await submit('big', 'raw');
    await submit('small', 'raw');
    await respond(
      answer({ requestId: 'big', status: 'SUCCESS', content: Buffer.alloc(400 * KB, 1) }),
      answer({ requestId: 'small', status: 'SUCCESS', content: Buffer.from('ok') }),
    );
    expect(await stored('big')).toMatchObject({
      status: 'ERROR',
      error: `The worker returned ${400 * KB} bytes of content, more than the ${360 * KB} bytes an answer may carry`,
    });
    expect(answersTo('small').map((a) => a.state)).toEqual(['GRANTED', 'SUCCESS']);
  });

  it('keeps a request under the item limit whatever its workers send: retries, 10,000 answers and 4 KB messages', async () => {
    await submit('f1', 'flaky-in', `{"data":"${'d'.repeat(250 * KB)}"}`);
    const chatter = Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(4 * KB, 'm'));
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await respond(answer({ requestId: 'f1', status: 'RUNNING', messages: chatter, dispatchAttempt: attempt }));
      await respond(answer({ requestId: 'f1', status: 'ERROR', messages: chatter, dispatchAttempt: attempt }));
      world.clock.advance(30_000);
      await bringAlive(world, 'flaky');
      await sweep(deps());
    }
    const note = ['n'.repeat(4 * KB)];
    const stale = Array.from({ length: 10_000 }, (_, i) =>
      answer({ requestId: 'f1', status: i % 2 ? 'RUNNING' : 'ERROR', messages: note, dispatchAttempt: 100 + i }),
    );
    const report = await respond(...stale);
    expect(report.deadLettered).toBe(0);

    const request = await stored('f1');
    expect(request?.status).toBe('ERROR');
    expect(request?.history.length).toBeGreaterThan(1);
    expect(Buffer.byteLength(JSON.stringify(request?.history))).toBeLessThanOrEqual(MAX_HISTORY_BYTES);
    expect(itemBytes(request as Request)).toBeLessThan(350 * KB);
  }, 60_000);
});
