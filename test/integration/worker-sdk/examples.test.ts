import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EXTRACT_FILE_HEADER, EXTRACT_WORKER_TYPE, startExtractWorker } from '../../../shared/worker-sdk/examples/extract-worker.js';
import { SIP_WORKER_TYPE, startSipWorker } from '../../../shared/worker-sdk/examples/sip-worker.js';
import type { Worker } from '../../../shared/worker-sdk/src/index.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { managerSide, recordingLogger } from './manager-side.js';

const rabbit = createRabbitFixture('wsdk-examples');
const provider = rabbit.provider();
const workers: Worker[] = [];
rabbit.trackWorkerType(EXTRACT_WORKER_TYPE);
rabbit.trackWorkerType(SIP_WORKER_TYPE);

afterAll(async () => {
  for (const worker of workers) await worker.stop({ timeoutMs: 1_000 });
  await rabbit.cleanup();
});

const json = (content: Buffer | null | undefined): unknown => JSON.parse(content?.toString('utf8') ?? 'null');

describe('example workers', () => {
  it('extract-worker answers RUNNING, then SUCCESS with the extracted file and the extract.file header', async () => {
    const manager = await managerSide(rabbit, provider, 'extract');
    const worker = await startExtractWorker({ url: rabbit.url, names: manager.names, logger: recordingLogger() });
    workers.push(worker);
    expect(worker.workerType).toBe('extract');
    await manager.sendWorkItem('extract', { requestId: 'req-extract', body: Buffer.from('{"file": "a.dat"}') });

    const [running, success] = await manager.responses(2);

    expect(running).toMatchObject({ requestId: 'req-extract', status: 'RUNNING', messages: ['extracting a.dat'] });
    expect(success).toMatchObject({ requestId: 'req-extract', status: 'SUCCESS', additionalHeaders: { [EXTRACT_FILE_HEADER]: 'a.dat' } });
    expect(json(success?.content)).toEqual({ file: 'a.dat', extracted: true, size: 17 });

    await manager.sendWorkItem('extract', { requestId: 'req-nofile', body: Buffer.from('{"name": "a.dat"}') });
    const [invalid] = await manager.responses(1);
    expect(invalid).toMatchObject({ requestId: 'req-nofile', status: 'INVALID_CONTENT', messages: ['the work item needs a "file" text field'] });
  });

  it('sip-worker wraps its input into {"sip": ...}, and answers INVALID_CONTENT without a file field', async () => {
    const manager = await managerSide(rabbit, provider, 'sip');
    const worker = await startSipWorker({ url: rabbit.url, names: manager.names, prefetch: 4, logger: recordingLogger() });
    workers.push(worker);
    const extracted = { file: 'a.dat', extracted: true, size: 17 };
    await manager.sendWorkItem('sip', { requestId: 'req-sip', body: Buffer.from(JSON.stringify(extracted)) });
    const [success] = await manager.responses(1);
    await manager.sendWorkItem('sip', { requestId: 'req-nofile', body: Buffer.from('{"other": 1}') });
    const [noFile] = await manager.responses(1);
    await manager.sendWorkItem('sip', { requestId: 'req-notjson', body: Buffer.from('a.dat') });
    const [notJson] = await manager.responses(1);

    expect(success).toMatchObject({ requestId: 'req-sip', status: 'SUCCESS' });
    expect(json(success?.content)).toEqual({ sip: extracted });
    expect(noFile).toMatchObject({ status: 'INVALID_CONTENT', messages: ['the input has no "file" field'] });
    expect(notJson?.status).toBe('INVALID_CONTENT');
    expect(notJson?.messages[0]).toMatch(/not JSON/);
  });

  it('extract-worker runs as a script configured by the environment and stops cleanly on SIGTERM', async () => {
    const manager = await managerSide(rabbit, provider, 'script');
    const script = fileURLToPath(new URL('../../../shared/worker-sdk/examples/extract-worker.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: {
        ...process.env,
        AMQP_URL: rabbit.url,
        WIRE_NAMES: JSON.stringify(manager.names),
        INSTANCE_ID: 'script-instance',
        HEARTBEAT_INTERVAL_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [beat] = await manager.heartbeats(1, 20_000);
      expect(beat?.heartbeat).toMatchObject({ instanceId: 'script-instance', workerType: 'extract' });
      await manager.sendWorkItem('extract', { requestId: 'req-script', body: Buffer.from('{"file":"b.dat"}') });
      const [, success] = await manager.responses(2);
      expect(json(success?.content)).toEqual({ file: 'b.dat', extracted: true, size: 16 });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped/);
  }, 40_000);
});
