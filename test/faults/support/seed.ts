/*
 * The fault suite's knobs: a fixed seed unless FAULTS_SEED replays another, and the long variants
 * (more requests, more faults, the slower ones) only with FAULTS_LONG=1.
 */

export const FAULTS_LONG = process.env['FAULTS_LONG'] === '1';

/** The CI seed; FAULTS_SEED=<number> replays a run printed by an earlier one. */
export const FAULTS_SEED = process.env['FAULTS_SEED'] === undefined || process.env['FAULTS_SEED'] === '' ? 20261205 : Number(process.env['FAULTS_SEED']);

/** How many requests a load fault sends: a few hundred in CI, thousands in the long variant. */
export function loadSize(short: number, long: number): number {
  return FAULTS_LONG ? long : short;
}

/** A small deterministic generator (mulberry32): the same seed gives the same messages. */
export class Random {
  private state: number;

  public constructor(public readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  public next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  public int(minInclusive: number, maxInclusive: number): number {
    return minInclusive + Math.floor(this.next() * (maxInclusive - minInclusive + 1));
  }

  public pick<T>(values: readonly T[]): T {
    const value = values[Math.floor(this.next() * values.length)];
    if (value === undefined) throw new RangeError('pick from an empty list');
    return value;
  }

  public chance(probability: number): boolean {
    return this.next() < probability;
  }

  public bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i += 1) out[i] = this.int(0, 255);
    return out;
  }

  public shuffle<T>(values: readonly T[]): T[] {
    const out = [...values];
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}
