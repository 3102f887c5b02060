import { signToken } from '../../shared/lambda/auth.js';
import type { HostHarness } from './host-harness.js';

/** The HMAC secret the admin API of a test host verifies tokens with. */
export const TEST_JWT_SECRET = 'integration-tests-secret-0123456789abcdef';

export function tokenFor(tenant: string | undefined, role: string, extra: Record<string, unknown> = {}, options: Parameters<typeof signToken>[2] = {}): string {
  return signToken(
    TEST_JWT_SECRET,
    { ...(tenant === undefined ? {} : { tenant }), role, sub: `${role.toLowerCase()}@${tenant ?? 'instance'}`, ...extra },
    options,
  );
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /**
   * The parsed JSON body (undefined when empty). Typed loosely on purpose: tests read it as any
   * client would and assert its shape with toMatchObject; the server's own schemas are what is tested.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-side reading of a response, see above
  body: any;
  text: string;
}

export interface CallOptions {
  token?: string | undefined;
  body?: unknown;
  /** A raw body (multipart, broken JSON); sent as is with `contentType`. */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One HTTP call to the host's admin API, as any client would make it. */
export async function apiCall(h: HostHarness, method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer> {
  const url = h.host.adminApi?.url;
  if (url === undefined) throw new Error('the host serves no admin API (start the harness with http)');
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] = options.contentType ?? 'application/octet-stream';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** A multipart/form-data body with one file field, as a browser or curl -F would send it. */
export function multipartFile(field: string, filename: string, content: string): { raw: Buffer; contentType: string } {
  const boundary = `----wm-test-${Date.now().toString(16)}`;
  const raw = Buffer.from(
    [
      `--${boundary}`,
      `Content-Disposition: form-data; name="${field}"; filename="${filename}"`,
      'Content-Type: application/json',
      '',
      content,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
  return { raw, contentType: `multipart/form-data; boundary=${boundary}` };
}
