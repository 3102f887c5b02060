import { BadRequestError } from './http-errors.js';

/*
 * Just enough of multipart/form-data (RFC 7578) to read one field: REGARDS uploads its
 * configuration file as the field `file` of a form. The whole body is in memory already (API
 * Gateway hands it over base64-encoded), so this is a search for boundaries, not a stream parser.
 */

function boundaryOf(contentType: string): string {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) throw new BadRequestError('multipart/form-data without a boundary');
  return boundary;
}

function fieldName(headers: string): string | undefined {
  const disposition = headers.split('\r\n').find((line) => /^content-disposition:/i.test(line));
  return disposition === undefined ? undefined : /\bname="([^"]*)"/i.exec(disposition)?.[1];
}

/** The bytes of the field `name`; BadRequestError when the body is not a form or has no such field. */
export function readMultipartFile(body: Buffer, contentType: string, name: string): Buffer {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  let at = body.indexOf(delimiter);
  if (at === -1) throw new BadRequestError('the multipart body has no part');
  for (;;) {
    const partStart = at + delimiter.length;
    // "--" right after a delimiter closes the form.
    if (body.subarray(partStart, partStart + 2).toString('latin1') === '--') break;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) throw new BadRequestError('the multipart body is truncated (no closing boundary)');
    const part = body.subarray(partStart, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) throw new BadRequestError('a multipart part has no header block');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    if (fieldName(headers) === name) {
      // The part ends with the CRLF that precedes the next delimiter.
      const content = part.subarray(headerEnd + 4);
      return content.subarray(0, content.length >= 2 && content.subarray(-2).toString('latin1') === '\r\n' ? content.length - 2 : content.length);
    }
    at = next;
  }
  throw new BadRequestError(`the form has no field "${name}"`);
}
