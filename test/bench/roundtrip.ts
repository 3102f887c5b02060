import { ManagerHost } from '../../infra/local/manager-host.js';
import { startEmbeddedStore } from '../../infra/local/embedded-store.js';
import { createDocumentClient, ensureTable } from '../../shared/adapters/dynamodb/client.js';
import { Header } from '../../shared/contract/headers.js';
import { ManagerSettingsSchema } from '../../shared/contract/manager-settings.js';
import { JsonLogger } from '../../shared/lambda/json-logger.js';
import { createServices } from '../../shared/lambda/services.js';
import { startWorker } from '../../shared/worker-sdk/src/index.js';
import { createRabbitFixture } from '../support/rabbitmq.js';
import { configure } from '../support/use-case-fixtures.js';
import { countCommands, format, rawPublishRate, waitUntil } from './bench-kit.js';

/**
 * The whole path at full speed: a client publishes N requests, register-requests dispatches them,
 * an SDK worker answers SUCCESS at once, handle-worker-responses answers the client. Latency is
 * the client's publish to its SUCCESS answer, on the client's clock.
 */
export async function benchRoundtrip(options: { requests: number; bodyBytes: number }): Promise<Record<string, unknown>> {
  const rabbit = createRabbitFixture('bench-roundtrip');
  const store = await startEmbeddedStore();
  const dynamo = { client: createDocumentClient({ endpoint: store.endpoint }), tableName: 'bench-roundtrip' };
  await ensureTable(dynamo.client, dynamo.tableName);
  const settings = ManagerSettingsSchema.parse({ names: rabbit.names });
  const logger = new JsonLogger('warn');
  rabbit.trackWorkerType('echo');
  try {
    const raw = await rawPublishRate(rabbit.url, rabbit.name('raw'), options.requests, options.bodyBytes);
    const services = createServices({ client: dynamo.client, tableName: dynamo.tableName, settings, provider: rabbit.provider(), logger });
    await configure(services, 'bench', { workers: [{ workerType: 'echo', contentTypeInputs: ['bench'] }] });
    const host = await ManagerHost.start({ settings, amqpUrl: rabbit.url, dynamo, logger, sweeper: false });
    const worker = await startWorker({
      url: rabbit.url,
      names: rabbit.names,
      workerType: 'echo',
      prefetch: 200,
      heartbeatIntervalMs: 5_000,
      handle: async (job) => job.success(job.body),
    });
    await waitUntil(async () => (await services.liveness.aliveTypes()).has('echo'), 10_000, 'the worker alive');

    const clientQueue = rabbit.name('client');
    await rabbit.declareQueue(clientQueue);
    await rabbit.bindQueue(clientQueue, settings.names.responseExchange, '');
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const connection = await (await import('amqplib')).default.connect(rabbit.url, { noDelay: true });
    const channel = await connection.createChannel();
    await channel.prefetch(1000);
    await channel.consume(clientQueue, (message) => {
      if (message === null) return;
      const body = JSON.parse(message.content.toString()) as { state: string; requestId: string };
      const sent = sentAt.get(body.requestId);
      if (body.state === 'SUCCESS' && sent !== undefined) latencies.push(performance.now() - sent);
      channel.ack(message);
    });

    const counter = countCommands(dynamo.client);
    const body = Buffer.alloc(options.bodyBytes, 'x');
    const started = performance.now();
    const publisher = await connection.createConfirmChannel();
    for (let n = 0; n < options.requests; n += 500) {
      for (let i = n; i < Math.min(options.requests, n + 500); i += 1) {
        const id = `rt-${i}`;
        sentAt.set(id, performance.now());
        publisher.publish(settings.names.requestExchange, '', body, {
          persistent: true,
          headers: { [Header.tenant]: 'bench', [Header.requestId]: id, [Header.owner]: 'o', [Header.session]: 's', [Header.contentType]: 'bench' },
        });
      }
      await publisher.waitForConfirms();
    }
    await waitUntil(() => latencies.length >= options.requests, 900_000, 'every SUCCESS');
    const seconds = (performance.now() - started) / 1000;
    await connection.close();
    await worker.stop();
    await host.stop();

    latencies.sort((a, b) => a - b);
    const percentile = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0);
    const rate = options.requests / seconds;
    return {
      scenario: 'roundtrip',
      requests: options.requests,
      bodyBytes: options.bodyBytes,
      rawPublishPerSecond: Math.round(raw),
      roundtripPerSecond: Math.round(rate),
      roundtripToRawRatio: Number((rate / raw).toFixed(3)),
      latencyMs: { p50: percentile(50), p95: percentile(95), p99: percentile(99) },
      storeCallsPerRequest: Number((counter.total() / options.requests).toFixed(3)),
      storeCalls: counter.byCommand(),
      summary: `round trip ${format(rate)} req/s at full speed (raw broker publish ${format(raw)} msg/s, ratio ${(rate / raw).toFixed(2)}); latency p50 ${percentile(50)} ms, p99 ${percentile(99)} ms (backlog, not service time); ${(counter.total() / options.requests).toFixed(2)} store calls per request`,
    };
  } finally {
    await rabbit.cleanup();
    dynamo.client.destroy();
    await store.close();
  }
}
