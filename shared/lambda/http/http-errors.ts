import { z } from 'zod';
import type { ConfigError } from '../../domain/config/config-error.js';
import type { Logger } from '../../kernel/logger.js';

/*
 * Every error an admin API call can end with, mapped to its HTTP answer in ONE table, by error
 * name: use cases and adapters throw their own errors (RequestNotFoundError, InvalidCursorError,
 * StoreUnavailableError...) and never build a response. Anything not in the table is a bug: a
 * generic 500, logged in full, and never a stack trace or an internal message in the response.
 */

export class BadRequestError extends Error {
  public constructor(
    message: string,
    public readonly issues: readonly Issue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BadRequestError';
  }
}

export class RouteNotFoundError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RouteNotFoundError';
  }
}

export class MethodNotAllowedError extends Error {
  public constructor(
    message: string,
    public readonly allowed: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MethodNotAllowedError';
  }
}

export class PayloadTooLargeError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

export interface Issue {
  path: string;
  message: string;
}

export const ErrorBodySchema = z.object({
  status: z.number().int(),
  /** The error's name: a stable code for programs. */
  error: z.string(),
  message: z.string(),
  /** REGARDS' ServerErrorResponse field, so its clients show the message. */
  messages: z.array(z.string()),
  /** Where a body or query was wrong. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** Why a configuration was refused, every error with its path in the submitted file. */
  errors: z.array(z.object({ code: z.string(), path: z.string(), message: z.string() })).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** Error name → status. The message of these errors is meant for the caller. */
const STATUS_BY_NAME: Record<string, number> = {
  BadRequestError: 400,
  ZodError: 400,
  InvalidCursorError: 400,
  PageOutOfRangeError: 400,
  UnauthenticatedError: 401,
  ForbiddenError: 403,
  RouteNotFoundError: 404,
  RequestNotFoundError: 404,
  JobNotFoundError: 404,
  SettingNotFoundError: 404,
  MethodNotAllowedError: 405,
  ConfigurationRefusedError: 409,
  ConfigurationConflictError: 409,
  JobFinishedError: 409,
  PayloadTooLargeError: 413,
  UnsupportedMediaTypeError: 415,
  // The store or broker is down: the caller may try again; the message says no more than that.
  StoreUnavailableError: 503,
  PublishError: 503,
  BrokerUnreachableError: 503,
};

const OPAQUE_STATUSES = new Set([500, 503]);

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`), '');
}

export function zodIssues(error: z.ZodError, prefix = ''): Issue[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    const joined = prefix === '' ? path : path === '' ? prefix : path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
    return { path: joined, message: issue.message };
  });
}

function isZodError(error: Error): error is z.ZodError {
  return error instanceof z.ZodError || error.name === 'ZodError';
}

function configErrors(error: Error): ConfigError[] | undefined {
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) ? (errors as ConfigError[]) : undefined;
}

/** The answer to a failed call. Logs what the caller is not told. */
export function errorAnswer(error: unknown, logger: Logger): ErrorAnswer {
  const known = error instanceof Error ? STATUS_BY_NAME[error.name] : undefined;
  if (!(error instanceof Error) || known === undefined) {
    logger.error('admin API call failed', { error });
    return answer(500, 'InternalError', 'internal error; it was logged');
  }
  if (OPAQUE_STATUSES.has(known)) {
    logger.warn('admin API call failed on a dependency', { error });
    return { ...answer(known, error.name, 'a dependency of the service is unavailable; try again shortly'), headers: { 'Retry-After': '5' } };
  }
  const result = answer(known, error.name, error.message);
  if (isZodError(error)) {
    result.body.message = 'the request is invalid';
    result.body.messages = zodIssues(error).map((issue) => `${issue.path || 'body'}: ${issue.message}`);
    result.body.issues = zodIssues(error);
  } else if (error instanceof BadRequestError && error.issues.length > 0) {
    result.body.issues = [...error.issues];
    result.body.messages = [error.message, ...error.issues.map((issue) => `${issue.path || 'body'}: ${issue.message}`)];
  } else if (error.name === 'ConfigurationRefusedError') {
    const errors = configErrors(error) ?? [];
    result.body.errors = errors.map(({ code, path, message }) => ({ code, path, message }));
    result.body.messages = errors.map((e) => `${e.path === '' ? '' : `${e.path}: `}${e.message}`);
  } else if (error instanceof MethodNotAllowedError) {
    result.headers.Allow = error.allowed.join(', ');
  }
  return result;
}

function answer(status: number, name: string, message: string): ErrorAnswer {
  return { status, headers: {}, body: { status, error: name, message, messages: [message] } };
}
