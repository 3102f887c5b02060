import { afterAll, describe, expect, it } from 'vitest';
import { AmqpConnectionProvider, BrokerUnreachableError, ConnectionProviderClosedError } from '../../../shared/amqp-kit/connection.js';
import { AMQP_URL, createRabbitFixture } from '../../support/rabbitmq.js';

const rabbit = createRabbitFixture('connection');

afterAll(async () => {
  await rabbit.cleanup();
});

/** The fixture's URL pointed at a port nothing listens on, with a password to keep out of logs. */
function unreachableUrl(): string {
  const url = new URL(AMQP_URL);
  url.port = '1';
  url.username = 'someone';
  url.password = 's3cret-pw';
  return url.toString();
}

describe('AmqpConnectionProvider', () => {
  it('connects on first use, caches the connection and shares one attempt between concurrent callers', async () => {
    const provider = rabbit.provider({ connectionName: `${rabbit.prefix}:lazy` });
    expect(provider.isConnected).toBe(false);

    const [a, b] = await Promise.all([provider.get(), provider.get()]);
    expect(a).toBe(b);
    expect(provider.isConnected).toBe(true);
    expect(await provider.get()).toBe(a);
    expect(a.connection.serverProperties.product).toBe('RabbitMQ');
  });

  it('forgets a lost connection so the next use reconnects', async () => {
    const provider = rabbit.provider();
    const first = await provider.get();

    await rabbit.dropConnection(first);
    expect(provider.isConnected).toBe(false);

    const second = await provider.get();
    expect(second).not.toBe(first);
    const channel = await second.createChannel();
    await channel.close();
  });

  it('reports an unreachable broker as BrokerUnreachableError with the cause, without the password', async () => {
    const provider = new AmqpConnectionProvider({ url: unreachableUrl(), connectTimeoutMs: 2_000 });
    const error: unknown = await provider.get().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BrokerUnreachableError);
    const unreachable = error as BrokerUnreachableError;
    expect(unreachable.name).toBe('BrokerUnreachableError');
    expect(unreachable.cause).toBeInstanceOf(Error);
    expect(unreachable.message).toContain('127.0.0.1:1');
    expect(unreachable.message).not.toContain('s3cret-pw');
    expect(provider.isConnected).toBe(false);
    await provider.close();
  });

  it('reports refused credentials as BrokerUnreachableError', async () => {
    const url = new URL(AMQP_URL);
    url.password = 'not-the-password';
    const provider = new AmqpConnectionProvider({ url: url.toString() });

    await expect(provider.get()).rejects.toBeInstanceOf(BrokerUnreachableError);
    await provider.close();
  });

  it('close() closes the connection, is idempotent, and later uses are refused', async () => {
    const provider = new AmqpConnectionProvider({ url: AMQP_URL, connectionName: `${rabbit.prefix}:close` });
    const model = await provider.get();
    const closed = new Promise<void>((resolve) => model.once('close', () => resolve()));

    await Promise.all([provider.close(), provider.close()]);
    await closed;

    expect(provider.isConnected).toBe(false);
    await expect(provider.get()).rejects.toBeInstanceOf(ConnectionProviderClosedError);
  });

  it('close() during a connect attempt leaves no connection behind', async () => {
    const provider = new AmqpConnectionProvider({ url: AMQP_URL });
    const connecting = provider.get();
    await provider.close();

    await expect(connecting).rejects.toBeInstanceOf(ConnectionProviderClosedError);
    expect(provider.isConnected).toBe(false);
  });
});
