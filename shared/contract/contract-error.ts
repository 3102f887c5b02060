import { AppError } from '../kernel/errors.js';

/**
 * Thrown by a builder given fields that would put a message on the wire that the other side
 * cannot read (an empty tenant, a negative attempt...). It is a programming error, not bad input.
 */
export class ContractError extends AppError {
  public override readonly name = 'ContractError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
