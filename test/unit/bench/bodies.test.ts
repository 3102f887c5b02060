import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFLATE_LEVEL } from '../../../shared/adapters/dynamodb/body-codec.js';
import { benchBody, jsonBody, randomBody } from '../../bench/bodies.js';

const ratio = (body: Buffer) => body.length / deflateRawSync(body, { level: DEFLATE_LEVEL }).length;

describe('bench bodies', () => {
  it('makes JSON bodies of exactly the size asked, the same in every run, that compress like real descriptors (not 50x)', () => {
    for (const size of [512, 1024, 10 * 1024, 256 * 1024]) {
      const body = jsonBody(size);
      expect(body.length).toBe(size);
      expect(() => JSON.parse(body.toString('utf8')) as unknown).not.toThrow();
      expect(jsonBody(size).equals(body)).toBe(true);
      expect(ratio(body)).toBeGreaterThan(1.5);
      expect(ratio(body)).toBeLessThan(6);
    }
    expect(jsonBody(1024, 2).equals(jsonBody(1024, 1))).toBe(false);
    expect(() => jsonBody(100)).toThrow(RangeError);
  });

  it('makes random bodies nothing compresses', () => {
    const body = randomBody(10 * 1024);
    expect(body.length).toBe(10 * 1024);
    expect(ratio(body)).toBeLessThan(1);
    expect(benchBody('random', 10 * 1024).equals(body)).toBe(true);
    expect(benchBody('json', 1024).equals(jsonBody(1024))).toBe(true);
  });
});
