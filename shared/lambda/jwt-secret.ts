import * as z from 'zod';
import { AuthSettingsSchema, type AuthSettings, type JwtAlgorithm } from './auth.js';
import type { SecretReader } from './broker-url.js';
import { EnvironmentError } from './env.js';

// environment (+ Secrets Manager in AWS) --> (resolveAuthSettings) --> the JWT verifier's settings

export interface JwtEnv {
  JWT_SECRET?: string | undefined;
  JWT_SECRET_ARN?: string | undefined;
  JWT_JWKS_URL?: string | undefined;
  JWT_ISSUER?: string | undefined;
  JWT_AUDIENCE?: string | undefined;
  JWT_ALGORITHMS?: readonly JwtAlgorithm[] | undefined;
}

const SecretJsonSchema = z.object({ secret: z.string().min(1) });

/**
 * The verifier's settings. In AWS the HMAC secret is read from Secrets Manager once per warm
 * process, so it never sits in the function's configuration; its value never appears in an error.
 */
export async function resolveAuthSettings(env: JwtEnv, secrets?: SecretReader): Promise<AuthSettings> {
  let secret = env.JWT_SECRET;
  if (secret === undefined && env.JWT_SECRET_ARN !== undefined) {
    const reader = secrets ?? (await secretsManagerReader());
    let text: string;
    try {
      text = await reader.getSecretString(env.JWT_SECRET_ARN);
    } catch (error) {
      throw new EnvironmentError(`cannot read the JWT secret ${env.JWT_SECRET_ARN}`, { cause: error });
    }
    secret = text;
    try {
      const json = SecretJsonSchema.safeParse(JSON.parse(text));
      if (json.success) secret = json.data.secret;
    } catch {
      // Not JSON: the secret is the text itself.
    }
  }
  const parsed = AuthSettingsSchema.safeParse({
    secret,
    jwksUrl: env.JWT_JWKS_URL,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    algorithms: env.JWT_ALGORITHMS,
  });
  if (!parsed.success) throw new EnvironmentError(`JWT settings are invalid: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  return parsed.data;
}

async function secretsManagerReader(): Promise<SecretReader> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  return {
    async getSecretString(secretId) {
      const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (output.SecretString === undefined) throw new Error('the secret has no string value');
      return output.SecretString;
    },
  };
}
