import { describe, expect, it } from 'vitest';
import { BytesSchema, decodeBase64, encodeBase64, isBase64 } from '../../../shared/contract/base64.js';

describe('Base64', () => {
  it.each(['', 'AA==', 'AAA=', 'AAAA', 'eyJzaXAiOjF9', 'AP8BgA==', 'AP8BgA', 'ab+/'])('accepts %j', (text) => {
    expect(isBase64(text)).toBe(true);
  });

  it.each(['A', 'AAAAA', 'A===', '=AAA', 'AA=A', 'ab-_', 'AA AA', 'AA\nAA', 'AA==AA==', 'é'])('refuses %j', (text) => {
    expect(isBase64(text)).toBe(false);
    expect(decodeBase64(text)).toBeUndefined();
  });

  it('encodes only the viewed part of a larger buffer', () => {
    const whole = Buffer.from([9, 9, 1, 2, 3, 9]);
    expect(encodeBase64(whole.subarray(2, 5))).toBe(Buffer.from([1, 2, 3]).toString('base64'));
    expect(encodeBase64(new Uint8Array(whole.buffer, whole.byteOffset + 2, 3))).toBe('AQID');
  });

  it('decodes what it encodes', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
  });

  it('takes any Uint8Array as bytes, and nothing else', () => {
    expect(BytesSchema.safeParse(new Uint8Array(2)).success).toBe(true);
    expect(BytesSchema.safeParse(Buffer.from('x')).success).toBe(true);
    expect(BytesSchema.safeParse('x').success).toBe(false);
    expect(BytesSchema.safeParse([1, 2]).success).toBe(false);
  });
});
