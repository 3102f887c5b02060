import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidCursorError } from '../../../shared/adapters/dynamodb/cursor.js';
import { CorruptItemError } from '../../../shared/adapters/dynamodb/stored-item.js';
import {
  ConfigurationConflictError,
  ConfigurationRefusedError,
  JobFinishedError,
  JobNotFoundError,
  PageOutOfRangeError,
  RequestNotFoundError,
  SettingNotFoundError,
} from '../../../shared/application/use-cases/use-case-errors.js';
import { AppError } from '../../../shared/kernel/errors.js';
import {
  BadRequestError,
  errorAnswer,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
} from '../../../shared/lambda/http/http-errors.js';
import { PublishError } from '../../../shared/ports/message-bus.js';
import { StoreUnavailableError, StoreValidationError } from '../../../shared/ports/request-store.js';
import { CapturingLogger } from '../../support/capturing-logger.js';

/* The status of an admin API answer comes from the error's class (statusCode/expose), not from a table of names. */

const thrown = (error: unknown) => {
  try {
    throw error;
  } catch (caught) {
    return errorAnswer(caught, new CapturingLogger());
  }
};

describe('errorAnswer maps an AppError by its statusCode', () => {
  it.each([
    [new BadRequestError('bad body'), 400],
    [new InvalidCursorError('bad cursor'), 400],
    [new PageOutOfRangeError('page too far'), 400],
    [new RouteNotFoundError('no route'), 404],
    [new RequestNotFoundError('no request'), 404],
    [new JobNotFoundError('no job'), 404],
    [new SettingNotFoundError('no setting'), 404],
    [new MethodNotAllowedError('not allowed', ['GET']), 405],
    [new ConfigurationRefusedError([]), 409],
    [new ConfigurationConflictError('raced'), 409],
    [new JobFinishedError('finished'), 409],
    [new PayloadTooLargeError('too large'), 413],
    [new UnsupportedMediaTypeError('not json'), 415],
  ])('%s → %i, named by its class, with its message', (error, status) => {
    expect(error).toBeInstanceOf(AppError);
    expect(error.statusCode).toBe(status);
    const answer = thrown(error);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ status, error: error.constructor.name, message: error.message });
  });

  it.each([[new StoreUnavailableError('DynamoDB Query failed: ECONNREFUSED 10.0.0.1')], [new PublishError('nacked by amqp://10.0.0.2')]])(
    '%s → 503 with Retry-After, its message hidden',
    (error) => {
      const answer = thrown(error);
      expect(answer).toEqual({
        status: 503,
        headers: { 'Retry-After': '5' },
        body: {
          status: 503,
          error: error.name,
          message: 'a dependency of the service is unavailable; try again shortly',
          messages: ['a dependency of the service is unavailable; try again shortly'],
        },
      });
    },
  );

  it.each([
    ['a corrupt stored item', new CorruptItemError('["T#t#R#r","R"]', 'is not a valid request: status')],
    ['a store validation failure', new StoreValidationError('DynamoDB PutItem failed: ValidationException: item too large')],
    ['an unknown Error', new TypeError('secret internals at /var/task/x.js:1')],
  ])('%s → an opaque 500, logged', (_, error) => {
    const logger = new CapturingLogger();
    const answer = errorAnswer(error, logger);
    expect(answer).toEqual({
      status: 500,
      headers: {},
      body: { status: 500, error: 'InternalError', message: 'internal error; it was logged', messages: ['internal error; it was logged'] },
    });
    expect(JSON.stringify(answer)).not.toContain(error.message);
    expect(logger.entries.some((entry) => entry.level === 'error')).toBe(true);
  });

  it("still answers a raw ZodError as the caller's bad input (400 with issues)", () => {
    const parsed = z.object({ a: z.string() }).safeParse({ a: 1 });
    if (parsed.success) throw new Error('expected a failure');
    const answer = thrown(parsed.error);
    expect(answer).toMatchObject({ status: 400, body: { error: 'ZodError', message: 'the request is invalid', issues: [{ path: 'a' }] } });
  });

  it('sets Allow on 405', () => {
    expect(thrown(new MethodNotAllowedError('no', ['GET', 'POST'])).headers).toEqual({ Allow: 'GET, POST' });
  });
});
