import { delayedMessage, grantedMessage, type ResponseEventFields } from '../../contract/response-event.js';
import type { DispatchPlan } from './dispatch.js';

/** What a response about a stored request says; the addressing comes from the request itself. */
export type RequestAnswer =
  | { state: 'SUCCESS'; messages: readonly string[]; content?: Uint8Array }
  | { state: Exclude<ResponseEventFields['state'], 'SUCCESS'>; messages: readonly string[] };

/** GRANTED or DELAYED, as the reference answers every dispatch decision (first, next step, retry). */
export function dispatchAnswer(plan: DispatchPlan): RequestAnswer {
  return plan.response === 'GRANTED'
    ? { state: 'GRANTED', messages: [grantedMessage()] }
    : { state: 'DELAYED', messages: [delayedMessage(plan.request.contentType)] };
}
