// use case --> (port) --> system clock | a clock tests move by hand (test/support/manual-clock.ts)

export abstract class Clock {
  public abstract now(): Date;
}

export class SystemClock extends Clock {
  public now(): Date {
    return new Date();
  }
}
