// EventBridge Scheduler (local: the schedule emulator) --> one use case

/**
 * What every scheduled function shares (spread it into `defineFunction`). The schedule's payload
 * carries nothing the use case needs, so nothing is decoded; a failed run is logged and rethrown,
 * so the invocation counts as an error.
 */
export const scheduleSource = {
  decode: (_payload: object | void): void => undefined,
  onError: { message: 'scheduled run failed' },
};
