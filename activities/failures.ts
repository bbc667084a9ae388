/**
 * The one place where the project's errors become Temporal failures. Temporal's own conversion of
 * a thrown Error takes the class name as the type and always allows a retry, so a TallyError's
 * `type` and `nonRetryable` would be lost: here they are carried over, with what was expected and
 * found as the failure's details. Any other error passes as it is: a fault, retried.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { TallyError, type ErrorDetail } from '../domain/errors.js';

/** The failure a TallyError becomes; anything else is returned unchanged. */
export function toFailure(err: unknown): unknown {
  if (!(err instanceof TallyError)) return err;
  const failure = ApplicationFailure.create({
    message: err.message,
    type: err.type,
    nonRetryable: err.nonRetryable,
    details: [err.detail() satisfies ErrorDetail],
    cause: err.cause instanceof Error ? err.cause : undefined,
  });
  failure.stack = err.stack;
  return failure;
}

type AsyncFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

/** The same activities, each converting what it throws with `toFailure`. */
export function atFailureBoundary<T extends AsyncFunctions>(activities: T): T {
  const wrapped: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args) => {
      try {
        return await activity(...args);
      } catch (err) {
        throw toFailure(err);
      }
    };
  }
  return wrapped as T;
}
