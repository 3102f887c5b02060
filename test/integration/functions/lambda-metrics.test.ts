import type { ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerRequestsFunction } from '../../../functions/register-requests/handler.js';
import { destroyDocumentClients } from '../../../shared/adapters/dynamodb/client.js';
import { buildEvent, toRecord } from '../../../infra/local/event-source-emulator-batch.js';
import { Header } from '../../../shared/contract/headers.js';
import { localContext } from '../../../shared/lambda/define-function.js';
import { sharedConnection } from '../../../shared/lambda/services.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { startHarness, type HostHarness } from '../../support/host-harness.js';
import { configure } from '../../support/use-case-fixtures.js';

/*
 * The Lambda path of the metrics, on RabbitMQ and dynalite: register-requests' `handler` composed
 * from the environment as Lambda would (EmfMetrics, the DynamoDB client counted),
 * invoked with an Amazon MQ event, and its EMF lines read from stdout.
 */

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

describe('register-requests in its Lambda composition writes its metrics as EMF', () => {
  let h: HostHarness;

  beforeAll(async () => {
    // No consumer: the test invokes the Lambda handler itself.
    h = await startHarness('lambda-metrics', { only: [] });
    await configure(h.services, 'tenant-a', { workers: [{ workerType: 'asleep', contentTypeInputs: ['to-extract'] }] });
    for (const [name, value] of Object.entries({
      TABLE_NAME: h.dynamo.tableName,
      DYNAMODB_ENDPOINT: h.dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AMQP_URL: h.rabbit.url,
      WM_SETTINGS: JSON.stringify(h.settings),
      LOG_LEVEL: 'silent',
      METRICS_SERVICE: 'WorkerManager-test-Stateless',
    })) {
      vi.stubEnv(name, value);
    }
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    // The warm process's clients, as servicesFromEnv opened them.
    destroyDocumentClients();
    await sharedConnection(h?.rabbit.url ?? '', new CapturingLogger())
      .close()
      .catch(() => undefined);
    await h?.close();
  });

  it('counts the batch, its DELAYED answer and its DynamoDB round trips, in one flush under the service dimension', async () => {
    const message = {
      content: Buffer.from('{"id":"emf-1"}'),
      fields: { redelivered: false },
      properties: {
        contentType: 'application/json',
        timestamp: Math.floor(Date.now() / 1000),
        headers: {
          [Header.tenant]: 'tenant-a',
          [Header.requestId]: 'emf-1',
          [Header.owner]: 'owner',
          [Header.session]: 'session',
          [Header.contentType]: 'to-extract',
        },
      },
    } as unknown as ConsumeMessage;
    const event = buildEvent('arn:aws:mq:local', `${h.settings.names.requestQueue}::/`, [toRecord(message)]);

    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line.startsWith('{"_aws"')),
      );
      return true;
    });
    try {
      await registerRequestsFunction.handler(event, localContext('register-requests'));
    } finally {
      spy.mockRestore();
    }

    const documents = lines.map((line) => JSON.parse(line) as EmfDocument);
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) {
      expect(document._aws.CloudWatchMetrics[0]?.Namespace).toBe('WorkerManager');
      expect(document['service']).toBe('WorkerManager-test-Stateless');
    }
    const find = (name: string) => documents.filter((document) => name in document);
    expect(find('RequestsReceived')).toMatchObject([{ RequestsReceived: 1 }]);
    expect(find('Answers')).toMatchObject([{ Answers: 1, State: 'DELAYED' }]);
    expect(find('BatchMessages')).toMatchObject([{ BatchMessages: 1, Function: 'register-requests' }]);
    const storeCalls = find('StoreCalls');
    expect(storeCalls.length).toBeGreaterThan(0);
    for (const document of storeCalls) {
      expect(document['Function']).toBe('register-requests');
      expect(document['Operation']).toMatch(/^(GetItem|BatchGetItem|Query|PutItem|UpdateItem|BatchWriteItem)$/);
      expect(document._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'Function', 'Operation']]);
    }
    expect((await h.services.requests.getAll('tenant-a', ['emf-1'])).get('emf-1')?.status).toBe('NO_WORKER_AVAILABLE');
  });
});
