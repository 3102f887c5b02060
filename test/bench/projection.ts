import type { FunctionProfile, ProfileResult } from './ours.js';
import { round } from './load.js';

/*
 * An AWS projection from the figures measured here: how long a batch takes in Lambda, hence how
 * many requests per second one queue's event source mapping carries, and what a million requests
 * cost. Every assumption is in AWS_ASSUMPTIONS, with its source; change them there.
 */

export const AWS_ASSUMPTIONS = {
  region: 'us-east-1',
  dynamoLatencyMs: {
    low: 5,
    high: 10,
    source: 'DynamoDB: "single-digit millisecond" latency (aws.amazon.com/dynamodb); 5-10 ms per call from a Lambda in-region, per the brief',
  },
  lambda: {
    architecture: 'arm64',
    pricePerGbSecond: 0.0000133334,
    pricePerMillionRequests: 0.2,
    source: 'aws.amazon.com/lambda/pricing, us-east-1, Arm, first 7.5 billion GB-s/month tier',
  },
  /** infra/aws/config/environments.ts: functions.memorySizeMb default; the projection also shows 1,769 MB (one full vCPU). */
  memoryMb: 512,
  /** Lambda gives one full vCPU at 1,769 MB and CPU in proportion below it (Lambda docs, "Memory and computing power"). */
  fullVcpuAtMb: 1769,
  cpuNote: 'a Lambda vCPU is taken as fast as one core of this machine',
  dynamodb: {
    pricePerMillionWriteRequestUnits: 0.625,
    pricePerMillionReadRequestUnits: 0.125,
    source: 'aws.amazon.com/dynamodb/pricing/on-demand, us-east-1, Standard table class (after the November 2024 price cut)',
  },
  eventSource: {
    source: 'Lambda Amazon MQ event source: one concurrent invocation per RabbitMQ mapping (docs: "Using Lambda with Amazon MQ")',
  },
  notCounted: 'Amazon MQ broker hours and storage, DynamoDB storage, CloudWatch Logs, data transfer, heartbeats, the sweeper',
} as const;

export interface FunctionProjection {
  fn: string;
  memoryMb: number;
  batchSize: number;
  cpuMsPerBatch: number;
  /** Sequential store round trips a full batch waits for: measured waves + the calls beyond the store concurrency. */
  storeWaitsPerBatch: number;
  handlerMsPerBatch: { low: number; high: number };
  requestsPerSecondPerQueue: { low: number; high: number };
}

export interface CostProjection {
  bodyBytes: number;
  bodyKind: ProfileResult['bodyKind'];
  lambdaUsdPerMillion: number;
  dynamoWriteUsdPerMillion: number;
  dynamoReadUsdPerMillion: number;
  totalUsdPerMillion: number;
  writeUnitsPerRequest: number;
  readUnitsPerRequest: number;
}

export function projectFunction(
  fn: string,
  profile: FunctionProfile,
  batchSize: number,
  storeConcurrency: number,
  memoryMb: number = AWS_ASSUMPTIONS.memoryMb,
): FunctionProjection {
  const cpuScale = Math.max(1, AWS_ASSUMPTIONS.fullVcpuAtMb / memoryMb);
  const messagesPerBatch = batchSize;
  const cpuMsPerBatch = profile.cpuMsPerMessage * messagesPerBatch * cpuScale;
  const callsPerBatch = (profile.storeCallsPerRequestTotal / Math.max(profile.messagesPerRequest, 1e-9)) * messagesPerBatch;
  const waves = profile.roundTripsPerInvocation;
  const storeWaitsPerBatch = Math.max(waves, waves + Math.ceil(callsPerBatch / storeConcurrency) - 1);
  const at = (latency: number) => cpuMsPerBatch + storeWaitsPerBatch * latency;
  const low = at(AWS_ASSUMPTIONS.dynamoLatencyMs.low);
  const high = at(AWS_ASSUMPTIONS.dynamoLatencyMs.high);
  // A request crosses this queue messagesPerRequest times.
  const perSecond = (ms: number) => round(messagesPerBatch / (ms / 1000) / Math.max(profile.messagesPerRequest, 1e-9));
  return {
    fn,
    memoryMb,
    batchSize,
    cpuMsPerBatch: round(cpuMsPerBatch, 1),
    storeWaitsPerBatch: round(storeWaitsPerBatch, 1),
    handlerMsPerBatch: { low: round(low, 1), high: round(high, 1) },
    requestsPerSecondPerQueue: { low: perSecond(high), high: perSecond(low) },
  };
}

/** Cost per million requests of the request path: Lambda duration and invocations at full batches (high latency), DynamoDB units. */
export function projectCost(profile: ProfileResult, batchSizes: Record<string, number>, storeConcurrency: number): CostProjection {
  const gb = AWS_ASSUMPTIONS.memoryMb / 1024;
  let lambda = 0;
  let wru = 0;
  let rru = 0;
  for (const [fn, figures] of Object.entries(profile.functions)) {
    const batchSize = batchSizes[fn] ?? 100;
    const projection = projectFunction(fn, figures, batchSize, storeConcurrency);
    const messages = 1_000_000 * figures.messagesPerRequest;
    const invocations = messages / batchSize;
    lambda += invocations * (projection.handlerMsPerBatch.high / 1000) * gb * AWS_ASSUMPTIONS.lambda.pricePerGbSecond;
    lambda += (invocations / 1_000_000) * AWS_ASSUMPTIONS.lambda.pricePerMillionRequests;
    wru += figures.writeUnitsPerRequestTotal;
    rru += figures.readUnitsPerRequestTotal;
  }
  const write = wru * AWS_ASSUMPTIONS.dynamodb.pricePerMillionWriteRequestUnits;
  const read = rru * AWS_ASSUMPTIONS.dynamodb.pricePerMillionReadRequestUnits;
  return {
    bodyBytes: profile.bodyBytes,
    bodyKind: profile.bodyKind,
    lambdaUsdPerMillion: round(lambda, 3),
    dynamoWriteUsdPerMillion: round(write, 3),
    dynamoReadUsdPerMillion: round(read, 3),
    totalUsdPerMillion: round(lambda + write + read, 3),
    writeUnitsPerRequest: round(wru, 2),
    readUnitsPerRequest: round(rru, 2),
  };
}
