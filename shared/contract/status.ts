import * as z from 'zod';

/** The eight REGARDS request statuses; their meaning is unchanged from the reference. */
export const RequestStatusSchema = z.enum(['TO_DISPATCH', 'DISPATCHED', 'NO_WORKER_AVAILABLE', 'RUNNING', 'SUCCESS', 'ERROR', 'INVALID_CONTENT', 'TO_DELETE']);
export type RequestStatus = z.infer<typeof RequestStatusSchema>;
export const REQUEST_STATUSES = RequestStatusSchema.options;

/** The `state` of a ResponseEvent sent to the client. */
export const ResponseStateSchema = z.enum(['GRANTED', 'DELAYED', 'SKIPPED', 'SUCCESS', 'ERROR', 'INVALID_CONTENT']);
export type ResponseState = z.infer<typeof ResponseStateSchema>;

/** What a worker may answer. */
export const WorkerResponseStatusSchema = z.enum(['RUNNING', 'SUCCESS', 'ERROR', 'INVALID_CONTENT']);
export type WorkerResponseStatus = z.infer<typeof WorkerResponseStatusSchema>;

/** Statuses an operator may retry or delete (the reference's "blocked" statuses). */
export const BLOCKED_STATUSES = ['ERROR', 'NO_WORKER_AVAILABLE', 'INVALID_CONTENT'] as const satisfies readonly RequestStatus[];
