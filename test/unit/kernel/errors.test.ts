import { describe, expect, it } from 'vitest';
import { AppError, describeError } from '../../../shared/kernel/errors.js';

class NotThereError extends AppError {
  public override readonly name = 'NotThereError';
  public constructor(id: string) {
    super(`nothing named ${id}`, { statusCode: 404 });
  }
}

class DependencyDownError extends AppError {
  public override readonly name = 'DependencyDownError';
  public constructor(cause: unknown) {
    super('the dependency is down', { statusCode: 503, cause });
  }
}

class InternalFailure extends AppError {
  public override readonly name = 'InternalFailure';
  public constructor() {
    super('an invariant broke');
  }
}

describe('AppError', () => {
  it('is named after its class and exposes a client error', () => {
    const error = new NotThereError('x');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('NotThereError');
    expect(error.statusCode).toBe(404);
    expect(error.expose).toBe(true);
  });

  it('hides a server error and keeps its cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new DependencyDownError(cause);
    expect(error.expose).toBe(false);
    expect(error.cause).toBe(cause);
  });

  it('defaults to a hidden 500', () => {
    const error = new InternalFailure();
    expect([error.statusCode, error.expose]).toEqual([500, false]);
  });
});

describe('describeError', () => {
  it('gives name and message without the stack, and strings for anything else', () => {
    expect(describeError(new NotThereError('y'))).toBe('NotThereError: nothing named y');
    expect(describeError('plain')).toBe('plain');
  });
});
