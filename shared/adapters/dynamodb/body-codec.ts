import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CorruptItemError } from './stored-item.js';

/*
 * How a request's bodies (`content`, `originalContent`) are stored. DynamoDB bills every write,
 * the delete included, by started KB of the whole item, and the body is most of a request item:
 * a body that deflates well is stored deflated, under its own attribute name, so the name is the
 * marker and costs no byte:
 *
 *   content / originalContent                    the body as it came (incompressible, small, or
 *                                                written before bodies were compressed)
 *   contentDeflated / originalContentDeflated    the body, raw deflate (RFC 1951)
 *
 * An item holds at most one of each pair; a null originalContent is stored as neither (an item
 * written before holds it as NULL, which still reads as null). Only the bytes in the table
 * change: every size limit is measured by the domain on the body itself.
 */

export const BODY_FIELDS = ['content', 'originalContent'] as const;
export type BodyField = (typeof BODY_FIELDS)[number];

export const DEFLATED_ATTRIBUTE: Readonly<Record<BodyField, string>> = {
  content: 'contentDeflated',
  originalContent: 'originalContentDeflated',
};

/**
 * zlib's default. On the bench's JSON bodies, level 1 takes half the time (1.4 ms vs 2.8 ms for
 * 256 KB) but stores 16 % more (62.8 KB vs 54.1 KB): at on-demand prices a write unit costs
 * hundreds of times the Lambda time that the better level adds, and each KB is paid on every put,
 * update and delete of the item.
 */
export const DEFLATE_LEVEL = 6;
/** Deflated only when it saves at least this many bytes... */
export const MIN_SAVED_BYTES = 64;
/** ...and at least this share of the body: below it the CPU on every read is not worth it. */
export const MIN_SAVED_RATIO = 0.1;
/**
 * A large body is first tried on its head: if that does not shrink by MIN_SAVED_RATIO, the body
 * (already compressed, encrypted, random) is stored as it came, without deflating all of it.
 */
export const SAMPLE_BYTES = 4096;
/**
 * The most a stored body may inflate to: DynamoDB's item limit. No body the manager writes is
 * larger (the domain keeps both bodies within ITEM_CONTENT_BUDGET_BYTES), so an item that inflates
 * past it is corrupt or hostile and must not take the function's memory with it.
 */
export const MAX_INFLATED_BYTES = 400 * 1024;

function saves(body: Uint8Array, deflatedLength: number): boolean {
  const saved = body.length - deflatedLength;
  return saved >= MIN_SAVED_BYTES && saved >= body.length * MIN_SAVED_RATIO;
}

/** The attribute a body is stored under, and its stored bytes; none for a null originalContent. */
export function bodyAttributes(field: BodyField, body: Uint8Array | null): Record<string, Uint8Array> {
  if (body === null) return {};
  // Past the inflate bound, stored as it is: DynamoDB refuses it, as it always did, rather than
  // taking an item no reader could inflate.
  if (body.length <= MIN_SAVED_BYTES || body.length > MAX_INFLATED_BYTES) return { [field]: body };
  if (body.length > SAMPLE_BYTES * 2) {
    const sample = body.subarray(0, SAMPLE_BYTES);
    if (deflateRawSync(sample, { level: 1 }).length > sample.length * (1 - MIN_SAVED_RATIO)) return { [field]: body };
  }
  const deflated = deflateRawSync(body, { level: DEFLATE_LEVEL });
  return saves(body, deflated.length)
    ? { [DEFLATED_ATTRIBUTE[field]]: new Uint8Array(deflated.buffer, deflated.byteOffset, deflated.length) }
    : { [field]: body };
}

/** Every attribute a body field may be stored under: writing one must remove the other. */
export function bodyAttributeNames(field: BodyField): [string, string] {
  return [field, DEFLATED_ATTRIBUTE[field]];
}

export function isBodyField(name: string): name is BodyField {
  return (BODY_FIELDS as readonly string[]).includes(name);
}

/**
 * The body a raw item holds for `field`, as the request schema expects it: the deflated attribute
 * if there is one, else the plain one as stored (the schema checks it), else null for
 * originalContent (absent means null) and absent for content (the schema calls that corrupt).
 */
export function readBody(item: Record<string, unknown>, field: BodyField, key: () => string): unknown {
  const deflatedName = DEFLATED_ATTRIBUTE[field];
  if (deflatedName in item) {
    const deflated = item[deflatedName];
    if (!(deflated instanceof Uint8Array)) throw new CorruptItemError(key(), `${deflatedName} is not a binary`);
    try {
      const inflated = inflateRawSync(deflated, { maxOutputLength: MAX_INFLATED_BYTES });
      return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length);
    } catch (error) {
      throw new CorruptItemError(key(), `${deflatedName} does not inflate to at most ${MAX_INFLATED_BYTES} bytes: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (field in item) return item[field];
  return field === 'originalContent' ? null : undefined;
}
