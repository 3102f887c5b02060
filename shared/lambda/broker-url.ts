import * as z from 'zod';
import { amqpEnvIssue, EnvironmentError, LOCAL_AMQP_URL, type AmqpEnv } from './env.js';
import { AppError } from '../kernel/errors.js';

// environment (+ Secrets Manager in AWS) --> (resolveAmqpUrl) --> the URL the connection provider opens

/** Reads one secret's string value; the Secrets Manager client in AWS, a stub in tests. */
export interface SecretReader {
  getSecretString(secretId: string): Promise<string>;
}

/** What the broker secret holds: the stateful stack generates it, Amazon MQ and the event source read it. */
export const BrokerCredentialsSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
});
export type BrokerCredentials = z.infer<typeof BrokerCredentialsSchema>;

export class BrokerSecretError extends AppError {
  public override readonly name = 'BrokerSecretError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export interface ResolveAmqpUrlOptions {
  /** Defaults to a Secrets Manager client, created (and its SDK loaded) only when a secret is read. */
  secrets?: SecretReader;
}

type AmqpUrlEnv = Pick<AmqpEnv, 'AMQP_URL' | 'AMQP_ENDPOINT' | 'AMQP_SECRET_ARN'> & { AMQP_VHOST?: string | undefined };

/*
 * One read per warm process: a secret read costs a network round trip at every cold start only.
 * A failed read is forgotten, so the next event tries again instead of failing for the process's
 * lifetime. A rotated password therefore reaches a warm function only when it is recycled.
 */
const cache = new Map<string, Promise<string>>();

/**
 * The broker URL of a function: `AMQP_URL` when set (local host, tests); in AWS the endpoint with
 * the credentials read from the secret; with neither, the local broker.
 *
 * @example
 * // AMQP_ENDPOINT=amqps://b-1.mq.eu-west-3.amazonaws.com:5671, secret {"username":"wm","password":"p@ss"}
 * await resolveAmqpUrl(env); // 'amqps://wm:p%40ss@b-1.mq.eu-west-3.amazonaws.com:5671'
 */
export async function resolveAmqpUrl(env: AmqpUrlEnv, options: ResolveAmqpUrlOptions = {}): Promise<string> {
  if (env.AMQP_URL !== undefined) return env.AMQP_URL;
  const issue = amqpEnvIssue(env);
  if (issue) throw new EnvironmentError(`${issue.path}: ${issue.message}`);
  const { AMQP_ENDPOINT: endpoint, AMQP_SECRET_ARN: secretArn } = env;
  if (endpoint === undefined || secretArn === undefined) return LOCAL_AMQP_URL;
  const vhost = env.AMQP_VHOST ?? '/';
  const key = JSON.stringify([endpoint, secretArn, vhost]);
  let url = cache.get(key);
  if (url === undefined) {
    url = readBrokerCredentials(secretArn, options).then((credentials) => brokerUrl(endpoint, credentials, vhost));
    cache.set(key, url);
    url.catch(() => {
      if (cache.get(key) === url) cache.delete(key);
    });
  }
  return url;
}

/** Forgets the URLs read so far; for tests. */
export function clearAmqpUrlCache(): void {
  cache.clear();
}

/**
 * `amqps://user:password@host:port/vhost` with every part percent-encoded, as amqplib decodes them.
 * The default vhost `/` is left out of the path, which amqplib reads as `/`.
 */
export function brokerUrl(endpoint: string, credentials: BrokerCredentials, vhost = '/'): string {
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch (error) {
    throw new EnvironmentError(`AMQP_ENDPOINT is not a URL: ${endpoint}`, { cause: error });
  }
  if (parsed.username !== '' || parsed.password !== '' || !['', '/'].includes(parsed.pathname)) {
    throw new EnvironmentError('AMQP_ENDPOINT must be scheme://host:port only; credentials come from the secret, the vhost from AMQP_VHOST');
  }
  const user = encodeURIComponent(credentials.username);
  const password = encodeURIComponent(credentials.password);
  const path = vhost === '/' ? '' : `/${encodeURIComponent(vhost)}`;
  return `${parsed.protocol}//${user}:${password}@${parsed.host}${path}`;
}

/** The broker user's credentials, validated; the secret's value never appears in an error. */
export async function readBrokerCredentials(secretArn: string, options: ResolveAmqpUrlOptions = {}): Promise<BrokerCredentials> {
  const secrets = options.secrets ?? (await secretsManagerReader());
  let text: string;
  try {
    text = await secrets.getSecretString(secretArn);
  } catch (error) {
    throw new BrokerSecretError(`cannot read the broker secret ${secretArn}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message may quote the secret; keep it out of logs.
    throw new BrokerSecretError(`the broker secret ${secretArn} is not JSON`);
  }
  const parsed = BrokerCredentialsSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new BrokerSecretError(`the broker secret ${secretArn} lacks a usable ${fields}`);
  }
  return parsed.data;
}

let defaultReader: SecretReader | undefined;

/** Loaded on demand: the local host never reads a secret and need not load the SDK client. */
async function secretsManagerReader(): Promise<SecretReader> {
  if (defaultReader === undefined) {
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({});
    defaultReader = {
      async getSecretString(secretId) {
        const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        if (output.SecretString === undefined) throw new Error('the secret has no string value');
        return output.SecretString;
      },
    };
  }
  return defaultReader;
}
