import { Clock } from '../../shared/ports/clock.js';

/** A clock tests move by hand. */
export class ManualClock extends Clock {
  private current: Date;

  public constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    super();
    this.current = new Date(start);
  }

  public now(): Date {
    return new Date(this.current);
  }

  public advance(milliseconds: number): void {
    this.current = new Date(this.current.getTime() + milliseconds);
  }

  public set(date: Date | string): void {
    this.current = new Date(date);
  }
}
