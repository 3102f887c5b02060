import type { ApiErrorBody, Counters, Job, JobList, RequestDetail, RequestPage, SearchFilter, WorkerSummary } from './api-types.js';

/*
 * The admin API from the page: the bearer token (and, for an instance administrator, the tenant
 * in X-Tenant) on every call, JSON in and out, and every refusal as an ApiError carrying the
 * API's own error body so a view can show its messages and paths where they belong.
 */

export interface Session {
  token: string;
  /** Empty: the token's own tenant. */
  tenant: string;
}

export class ApiError extends Error {
  public override readonly name = 'ApiError';
  public constructor(
    public readonly status: number,
    public readonly body: ApiErrorBody | undefined,
    options?: ErrorOptions,
  ) {
    super(body?.messages?.join('; ') || body?.message || `HTTP ${status}`, options);
  }
}

export class Api {
  public constructor(
    /** Where the API answers: '' for the page's own origin (the local host), else config.json's apiUrl. */
    private readonly baseUrl: string,
    private readonly session: Session,
  ) {}

  /** Who the answers are about: the tenant named (or the token's own), for caches kept across views. */
  public get scope(): string {
    return `${this.baseUrl} ${this.session.tenant} ${this.session.token.slice(-16)}`;
  }

  private async call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.session.token}`, accept: 'application/json' };
    if (this.session.tenant !== '') headers['x-tenant'] = this.session.tenant;
    if (body !== undefined) headers['content-type'] = contentType;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ApiError(0, undefined, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!response.ok) throw new ApiError(response.status, typeof parsed === 'object' && parsed !== null ? (parsed as ApiErrorBody) : undefined);
    return parsed as T;
  }

  public search(filter: SearchFilter, query: { size: number; sort?: string; cursor?: string | undefined }): Promise<RequestPage> {
    const params = new URLSearchParams({ size: String(query.size) });
    if (query.sort !== undefined) params.set('sort', query.sort);
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    return this.call('POST', `/requests?${params}`, filter);
  }

  public request(requestId: string): Promise<{ content: RequestDetail }> {
    return this.call('GET', `/requests/${encodeURIComponent(requestId)}`);
  }

  public retry(filter: SearchFilter): Promise<Job> {
    return this.call('POST', '/requests/retry', filter);
  }

  public delete(filter: SearchFilter): Promise<Job> {
    return this.call('DELETE', '/requests/delete', filter);
  }

  public job(id: string): Promise<Job> {
    return this.call('GET', `/jobs/${encodeURIComponent(id)}`);
  }

  public jobs(): Promise<JobList> {
    return this.call('GET', '/jobs?limit=20');
  }

  public resumeJob(id: string): Promise<unknown> {
    return this.call('POST', `/jobs/${encodeURIComponent(id)}/resume`);
  }

  public workers(): Promise<WorkerSummary[]> {
    return this.call('GET', '/workers');
  }

  public counters(source: string, session: string): Promise<Counters> {
    return this.call('GET', `/sessions/counters?${new URLSearchParams({ source, session })}`);
  }

  public exportConfiguration(format: 'native' | 'regards'): Promise<unknown> {
    return this.call('GET', format === 'native' ? '/configuration/native' : '/microservice/configuration');
  }

  /** The native format is replaced with PUT; a REGARDS file is imported as REGARDS clients do. */
  public importConfiguration(file: unknown): Promise<unknown> {
    const native = typeof file === 'object' && file !== null && (file as { format?: unknown }).format === 'worker-manager/v1';
    return native ? this.call('PUT', '/configuration/native', file) : this.call('POST', '/microservice/configuration', file);
  }
}
