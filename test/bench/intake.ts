import { ManagerHost } from '../../infra/local/manager-host.js';
import { Header } from '../../shared/contract/headers.js';
import { ManagerSettingsSchema } from '../../shared/contract/manager-settings.js';
import { workerTopology } from '../../shared/contract/topology.js';
import { JsonLogger } from '../../shared/lambda/json-logger.js';
import { createServices } from '../../shared/lambda/services.js';
import { startEmbeddedStore } from '../../infra/local/embedded-store.js';
import { createDocumentClient, ensureTable } from '../../shared/adapters/dynamodb/client.js';
import { createRabbitFixture } from '../support/rabbitmq.js';
import { bringAlive, configure } from '../support/use-case-fixtures.js';
import { countCommands, format, rawConditionalPutRate, rawPublishRate, waitUntil } from './bench-kit.js';

/**
 * Intake throughput: N client requests wait in the request queue, then register-requests (through
 * the event-source emulator, on dynalite and the real broker) stores, dispatches and answers them
 * all. Printed next to the raw broker's publish rate measured in the same run.
 */
export async function benchIntake(options: { requests: number; bodyBytes: number }): Promise<Record<string, unknown>> {
  const rabbit = createRabbitFixture('bench-intake');
  // The store `npm start` embeds: dynalite on its own thread.
  const store = await startEmbeddedStore();
  const dynamo = { client: createDocumentClient({ endpoint: store.endpoint }), tableName: 'bench-intake' };
  await ensureTable(dynamo.client, dynamo.tableName);
  const settings = ManagerSettingsSchema.parse({ names: rabbit.names });
  const logger = new JsonLogger('warn');
  try {
    const raw = await rawPublishRate(rabbit.url, rabbit.name('raw'), options.requests, options.bodyBytes);
    const rawStore = await rawConditionalPutRate(
      dynamo.client,
      dynamo.tableName,
      Math.min(options.requests, 3000),
      options.bodyBytes,
      settings.storeConcurrency,
    );

    // Arrange: one configured tenant, an alive worker type, its queue, a client response queue.
    const services = createServices({ client: dynamo.client, tableName: dynamo.tableName, settings, provider: rabbit.provider(), logger });
    await configure(services, 'bench', { workers: [{ workerType: 'bench-worker', contentTypeInputs: ['bench'] }] });
    await bringAlive(services, 'bench-worker');
    rabbit.trackWorkerType('bench-worker');
    await services.bus.ensureTopology(workerTopology(settings.names, 'bench-worker'));
    const host = await ManagerHost.start({ settings, amqpUrl: rabbit.url, dynamo: { client: dynamo.client, tableName: dynamo.tableName }, logger, only: [] });
    await host.stop();
    const clientQueue = rabbit.name('client');
    await rabbit.declareQueue(clientQueue);
    await rabbit.bindQueue(clientQueue, settings.names.responseExchange, '');

    const body = Buffer.alloc(options.bodyBytes, 'x');
    const ids = Array.from({ length: options.requests }, (_, n) => `bench-${n}`);
    for (let n = 0; n < ids.length; n += 500) {
      await Promise.all(
        ids.slice(n, n + 500).map((id) =>
          rabbit.publish(settings.names.requestExchange, '', body, {
            headers: { [Header.tenant]: 'bench', [Header.requestId]: id, [Header.owner]: 'o', [Header.session]: 's', [Header.contentType]: 'bench' },
          }),
        ),
      );
    }

    // Act: the host consumes the backlog; the clock runs until every client has its answer.
    const counter = countCommands(dynamo.client);
    const started = performance.now();
    const running = await ManagerHost.start({
      settings,
      amqpUrl: rabbit.url,
      dynamo: { client: dynamo.client, tableName: dynamo.tableName },
      logger,
      only: ['register-requests'],
    });
    await waitUntil(async () => (await rabbit.queueState(clientQueue)).messageCount >= options.requests, 600_000, 'every answer');
    const seconds = (performance.now() - started) / 1000;
    const emulator = running.emulators.get('register-requests');
    await running.stop();

    const intake = options.requests / seconds;
    return {
      scenario: 'intake',
      requests: options.requests,
      bodyBytes: options.bodyBytes,
      rawPublishPerSecond: Math.round(raw),
      intakePerSecond: Math.round(intake),
      intakeToRawRatio: Number((intake / raw).toFixed(3)),
      rawStorePutPerSecond: Math.round(rawStore),
      intakeToStoreRatio: Number((intake / rawStore).toFixed(3)),
      storeCallsPerRequest: Number((counter.total() / options.requests).toFixed(3)),
      storeCalls: counter.byCommand(),
      batches: emulator?.stats.invocations,
      summary: `intake ${format(intake)} req/s; raw broker publish ${format(raw)} msg/s (ratio ${(intake / raw).toFixed(2)}); raw store conditional put ${format(rawStore)}/s (ratio ${(intake / rawStore).toFixed(2)}); ${(counter.total() / options.requests).toFixed(2)} store calls per request`,
    };
  } finally {
    await rabbit.cleanup();
    dynamo.client.destroy();
    await store.close();
  }
}
