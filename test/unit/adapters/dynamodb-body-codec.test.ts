import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bodyAttributes, DEFLATE_LEVEL, MAX_INFLATED_BYTES, MIN_SAVED_BYTES, MIN_SAVED_RATIO, readBody } from '../../../shared/adapters/dynamodb/body-codec.js';
import { CorruptItemError, requestFromItem, requestToItem } from '../../../shared/adapters/dynamodb/request-item.js';
import { itemSize } from '../../bench/capacity.js';
import { jsonBody as jsonBuffer, randomBody as randomBuffer } from '../../bench/bodies.js';
import { makeRequest } from '../../support/store-contract/requests.js';

const key = () => '["pk","R"]';
const bytes = (body: unknown) => Buffer.from(body as Uint8Array);
// Plain Uint8Arrays, as the store reads them back, so whole requests compare equal.
const jsonBody = (size: number, seed?: number) => new Uint8Array(jsonBuffer(size, seed));
const randomBody = (size: number, seed?: number) => new Uint8Array(randomBuffer(size, seed));

describe('request bodies in the item', () => {
  it('stores a compressible body deflated, under its own name, and reads it back byte for byte', () => {
    const body = jsonBody(10 * 1024, 7);
    const original = jsonBody(4 * 1024, 8);
    const request = makeRequest('t', 'r', { content: body, originalContent: original });
    const item = requestToItem(request);
    expect(item).not.toHaveProperty('content');
    expect(item).not.toHaveProperty('originalContent');
    expect(bytes(item['contentDeflated']).length).toBeLessThan(body.length / 2);
    expect(bytes(item['originalContentDeflated']).length).toBeLessThan(original.length / 2);
    const read = requestFromItem(item);
    expect(bytes(read.content).equals(body)).toBe(true);
    expect(bytes(read.originalContent).equals(original)).toBe(true);
    expect(read).toEqual(request);
    // Every KB saved is a write unit less on each put, update and delete.
    expect(itemSize(item)).toBeLessThan(itemSize(requestToItem(request, { plainBodies: true })) - 8 * 1024);
  });

  it('stores an incompressible body as it came', () => {
    for (const size of [1024, 64 * 1024]) {
      const body = randomBody(size, size);
      const item = requestToItem(makeRequest('t', 'r', { content: body }));
      expect(item).not.toHaveProperty('contentDeflated');
      expect(bytes(item['content']).equals(body)).toBe(true);
      expect(bytes(requestFromItem(item).content).equals(body)).toBe(true);
    }
  });

  it('deflates only when that saves at least 64 bytes and 10 % of the body', () => {
    let deflatedSome = false;
    let keptSome = false;
    for (let size = 16; size <= 2048; size += 13) {
      // Half text, half noise: around the thresholds either way.
      const body = Buffer.concat([jsonBuffer(Math.max(128, size), size).subarray(0, size / 2), randomBuffer(size - Math.floor(size / 2), size)]);
      const saved = body.length - deflateRawSync(body, { level: DEFLATE_LEVEL }).length;
      const worth = saved >= MIN_SAVED_BYTES && saved >= body.length * MIN_SAVED_RATIO;
      const stored = bodyAttributes('content', body);
      expect(Object.keys(stored)).toEqual([worth ? 'contentDeflated' : 'content']);
      if (worth) deflatedSome = true;
      else keptSome = true;
    }
    expect(deflatedSome && keptSome).toBe(true);
  });

  it('leaves a null originalContent out of the item, and reads its absence as null', () => {
    const request = makeRequest('t', 'r', { content: jsonBody(2048), originalContent: null });
    const item = requestToItem(request);
    expect(Object.keys(item).filter((name) => name.startsWith('originalContent'))).toEqual([]);
    expect(requestFromItem(item).originalContent).toBeNull();
  });

  it('loads an item written before bodies were deflated: plain bodies, a null originalContent as NULL', () => {
    const request = makeRequest('t', 'r', { content: jsonBody(10 * 1024, 3) });
    const legacy = { ...requestToItem(request, { plainBodies: true }) };
    expect(legacy['originalContent']).toBeNull();
    expect(legacy).not.toHaveProperty('contentDeflated');
    expect(requestFromItem(legacy)).toEqual(request);
    const stepped = makeRequest('t', 'r', { content: randomBody(3000), originalContent: jsonBody(5000) });
    expect(requestFromItem(requestToItem(stepped, { plainBodies: true }))).toEqual(stepped);
  });

  it('refuses to inflate past the limit: a deflate bomb is a corrupt item, not an out-of-memory', () => {
    const bomb = deflateRawSync(Buffer.alloc(MAX_INFLATED_BYTES + 1));
    expect(bomb.length).toBeLessThan(1024);
    const item = { ...requestToItem(makeRequest('t', 'r')), content: undefined, contentDeflated: new Uint8Array(bomb) };
    delete item.content;
    const error = (() => {
      try {
        requestFromItem(item);
        return undefined;
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(CorruptItemError);
    expect((error as Error).message).toContain('contentDeflated');
    expect((error as Error).cause).toBeInstanceOf(Error);
    // Nor is a body past the limit ever deflated: stored as it is, the store refuses it as before.
    expect(Object.keys(bodyAttributes('content', new Uint8Array(MAX_INFLATED_BYTES + 1)))).toEqual(['content']);
    // At the limit exactly, it inflates.
    const full = Buffer.alloc(MAX_INFLATED_BYTES, 1);
    expect(bytes(readBody({ contentDeflated: deflateRawSync(full) }, 'content', key)).equals(full)).toBe(true);
  });

  it('calls a deflated body that does not inflate, or is not a binary, a corrupt item', () => {
    const good = bodyAttributes('content', jsonBody(4096))['contentDeflated'] as Uint8Array;
    for (const broken of [good.subarray(0, good.length / 2), new Uint8Array([0xff, 0xff, 0xff, 0xff]), 'text', 42]) {
      expect(() => readBody({ contentDeflated: broken }, 'content', key)).toThrow(CorruptItemError);
    }
    expect(() => requestFromItem({ ...requestToItem(makeRequest('t', 'r')), content: undefined, originalContentDeflated: 'x' })).toThrow(CorruptItemError);
  });
});
