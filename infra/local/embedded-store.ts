import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/kernel/errors.js';

/*
 * The local host's DynamoDB-compatible store: dynalite on a worker thread, its data kept in a
 * folder so a restart keeps every request. DYNAMODB_ENDPOINT replaces it with any other endpoint.
 */

export interface EmbeddedStore {
  endpoint: string;
  close(): Promise<void>;
}

export class EmbeddedStoreError extends AppError {
  public override readonly name = 'EmbeddedStoreError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export async function startEmbeddedStore(options: { path?: string; host?: string; port?: number } = {}): Promise<EmbeddedStore> {
  const host = options.host ?? '127.0.0.1';
  const worker = new Worker(new URL('./dynalite-thread.mjs', import.meta.url), {
    workerData: { path: options.path, host, port: options.port ?? 0 },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', (error) => reject(new EmbeddedStoreError(`the embedded store could not start: ${error.message}`, { cause: error })));
    worker.on('message', (message: { type: string; port?: number; message?: string }) => {
      if (message.type === 'listening' && message.port !== undefined) resolve(message.port);
      if (message.type === 'error') reject(new EmbeddedStoreError(`the embedded store could not start: ${message.message ?? 'unknown error'}`));
    });
  });
  // The thread must not keep the process alive once everything else is done.
  worker.unref();
  return {
    endpoint: `http://${host}:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => {
        worker.on('message', (message: { type: string }) => {
          if (message.type === 'closed') resolve();
        });
      });
      worker.postMessage('close');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      await worker.terminate();
    },
  };
}
