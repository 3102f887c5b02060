import * as z from 'zod';

/*
 * Gson writes byte[] as standard Base64 (RFC 4648 alphabet, padded). Node's decoder silently skips
 * anything it does not understand, so a corrupted `content` would become different bytes without
 * an error: every Base64 field is checked here first. Padding may be left out because
 * java.util.Base64's decoder accepts that too; whitespace, URL-safe letters and stray `=` may not.
 */
const PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UNPADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2,3})?$/;

export function isBase64(text: string): boolean {
  return PADDED.test(text) || UNPADDED.test(text);
}

export const Base64Schema = z.string().refine(isBase64, { error: 'is not valid base64' });

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes checked Base64; undefined when the text is not Base64 at all. */
export function decodeBase64(text: string): Buffer | undefined {
  return isBase64(text) ? Buffer.from(text, 'base64') : undefined;
}

/** Raw bytes; any Uint8Array (a Buffer included) whatever its backing buffer. */
export const BytesSchema = z.custom<Uint8Array>((value) => value instanceof Uint8Array, { error: 'must be bytes (a Uint8Array)' });
