import * as z from 'zod';
import { ConfigurationRefusedError } from '../../application/use-cases/use-case-errors.js';
import { AppError, type AppErrorOptions } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';

/*
 * Every error an admin API call can end with becomes its HTTP answer HERE, and only here: use
 * cases and adapters throw their own errors (RequestNotFoundError, InvalidCursorError,
 * StoreUnavailableError...), each an AppError carrying its status, and never build a response.
 * An error that is not an AppError (or one that does not expose its message) is a bug: a generic
 * 500, logged in full, and never a stack trace or an internal message in the response.
 */

/** What the router itself refuses before any use case runs. */
export abstract class HttpError extends AppError {
  protected constructor(message: string, statusCode: number, options: AppErrorOptions = {}) {
    super(message, { ...options, statusCode });
  }
}

export class BadRequestError extends HttpError {
  public override readonly name = 'BadRequestError';
  public constructor(
    message: string,
    public readonly issues: readonly Issue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, 400, options);
  }
}

export class RouteNotFoundError extends HttpError {
  public override readonly name = 'RouteNotFoundError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 404, options);
  }
}

export class MethodNotAllowedError extends HttpError {
  public override readonly name = 'MethodNotAllowedError';
  public constructor(
    message: string,
    public readonly allowed: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, 405, options);
  }
}

export class PayloadTooLargeError extends HttpError {
  public override readonly name = 'PayloadTooLargeError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 413, options);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  public override readonly name = 'UnsupportedMediaTypeError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 415, options);
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

/** A dependency (store, broker) is down: the caller may try again; the message says no more than that. */
const UNAVAILABLE = 503;

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

function isZodError(error: unknown): error is z.ZodError {
  return error instanceof z.ZodError || (error instanceof Error && error.name === 'ZodError');
}

/** The answer to a failed call. Logs what the caller is not told. */
export function errorAnswer(error: unknown, logger: Logger): ErrorAnswer {
  // A body or query schema the router did not wrap in a BadRequestError: still the caller's input.
  if (isZodError(error)) {
    const issues = zodIssues(error);
    const result = answer(400, error.name, 'the request is invalid');
    result.body.messages = issues.map((issue) => `${issue.path || 'body'}: ${issue.message}`);
    result.body.issues = issues;
    return result;
  }
  // Not ours (a bug), or ours but not for the caller's eyes (a corrupt item, a store refusal): opaque.
  if (!(error instanceof AppError) || (!error.expose && error.statusCode !== UNAVAILABLE)) {
    logger.error('admin API call failed', { error });
    return answer(error instanceof AppError ? error.statusCode : 500, 'InternalError', 'internal error; it was logged');
  }
  if (!error.expose) {
    logger.warn('admin API call failed on a dependency', { error });
    return { ...answer(UNAVAILABLE, error.name, 'a dependency of the service is unavailable; try again shortly'), headers: { 'Retry-After': '5' } };
  }
  const result = answer(error.statusCode, error.name, error.message);
  if (error instanceof BadRequestError && error.issues.length > 0) {
    result.body.issues = [...error.issues];
    result.body.messages = [error.message, ...error.issues.map((issue) => `${issue.path || 'body'}: ${issue.message}`)];
  } else if (error instanceof ConfigurationRefusedError) {
    result.body.errors = error.errors.map(({ code, path, message }) => ({ code, path, message }));
    result.body.messages = error.errors.map((e) => `${e.path === '' ? '' : `${e.path}: `}${e.message}`);
  } else if (error instanceof MethodNotAllowedError) {
    result.headers.Allow = error.allowed.join(', ');
  }
  return result;
}

function answer(status: number, name: string, message: string): ErrorAnswer {
  return { status, headers: {}, body: { status, error: name, message, messages: [message] } };
}
