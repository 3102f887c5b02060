import { randomBytes } from 'node:crypto';

/** 128 bits: as unguessable as a random UUID, 22 characters of base64url on the wire. */
const DISPATCH_TOKEN_BYTES = 16;

/**
 * The token source every dispatch uses unless a test pins one. A CSPRNG, not Math.random: the
 * token is what stops a broker user from answering for a work item it never received.
 */
export function newDispatchToken(): string {
  return randomBytes(DISPATCH_TOKEN_BYTES).toString('base64url');
}
