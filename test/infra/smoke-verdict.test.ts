import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArguments } from '../../infra/aws/smoke/run.js';
import { EventSourceMappingAnswerSchema, judge, SmokeSetupError, smokeTargets, stackOutputs, type SmokeObservations } from '../../infra/aws/smoke/verdict.js';
import { synthEnvironment } from './synth.js';

// Issue 14 point 7: the smoke test's pure half (output parsing, verdict) against answers shaped as
// the AWS CLI prints them (fixtures/smoke). The run itself needs an account and is not run here.

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`fixtures/smoke/${name}.json`, import.meta.url), 'utf8')) as unknown;
const stacks = fixture('describe-stacks');
const mapping = (name: string) => EventSourceMappingAnswerSchema.parse(fixture(`get-event-source-mapping-${name}`));
const targets = smokeTargets(stackOutputs(stacks, 'WorkerManager-dev-Stateful'), stackOutputs(stacks, 'WorkerManager-dev-Stateless'));

/** A run where everything went as planned: 3 requests (one forced to fail), 4 mappings OK, nothing dead-lettered. */
function passing(): SmokeObservations {
  return {
    environment: 'dev',
    requests: [
      { id: 'smoke-1-0', expected: 'ERROR', observed: 'ERROR' },
      { id: 'smoke-1-1', expected: 'SUCCESS', observed: 'SUCCESS' },
      { id: 'smoke-1-2', expected: 'SUCCESS', observed: 'SUCCESS' },
    ],
    mappings: targets.mappings.map((expected) => ({ expected, answer: { ...mapping('ok'), UUID: expected.uuid } })),
    deadLetters: [
      { queue: 'regards.DLQ', before: 2, after: 2 },
      { queue: 'regards.worker.manager.response.DLQ', before: 0, after: 0 },
    ],
    inputQueues: targets.mappings.map((entry) => ({ queue: entry.queue, expected: 'quorum' as const, observed: 'quorum' })),
  };
}

describe('Point 7: smoke test, output parsing', () => {
  it('reads the endpoint, the secrets, the API and the four mappings from both stacks', () => {
    expect(targets.amqpEndpoint).toBe('amqps://b-4f0c2d1e-1111-2222-3333-444455556666.mq.eu-west-3.amazonaws.com:5671');
    expect(targets.clientSecretArn).toContain('BrokerClientsCredentials');
    expect(targets.workerSecretArn).toContain('BrokerWorkersCredentials');
    expect(targets.apiUrl).toBe('https://a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com/v1/');
    expect(targets.mappings.map((entry) => entry.function)).toEqual([
      'register-requests',
      'handle-worker-responses',
      'record-heartbeats',
      'handle-worker-dead-letters',
    ]);
    expect(targets.mappings[0]?.uuid).toBe('6d9a5b8e-1b2c-4d3e-8f4a-5b6c7d8e9f01');
  });

  it('refuses a stack that is missing or not deployed, and names every missing output', () => {
    expect(() => stackOutputs(stacks, 'WorkerManager-prod-Stateful')).toThrow(/not found: deploy it first/);
    const rolledBack = { Stacks: [{ StackName: 'S', StackStatus: 'UPDATE_ROLLBACK_COMPLETE', Outputs: [] }] };
    expect(() => stackOutputs(rolledBack, 'S')).toThrow(/UPDATE_ROLLBACK_COMPLETE, not deployed/);
    const error = (() => {
      try {
        smokeTargets({ AmqpEndpoint: 'amqps://b-1.mq.eu-west-3.amazonaws.com:5671' }, {});
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SmokeSetupError);
    expect(String(error)).toMatch(/clientSecretArn[\s\S]*apiUrl[\s\S]*mappings/);
  });

  it('the stateless stack outputs what the smoke test reads: its mappings as JSON with their UUIDs', () => {
    const { stateless, stateful } = synthEnvironment('dev');
    expect(Object.keys(stateless.findOutputs('*'))).toEqual(expect.arrayContaining(['ApiUrl', 'JwtSecretArn', 'EventSourceMappings']));
    expect(Object.keys(stateful.findOutputs('*'))).toEqual(
      expect.arrayContaining(['AmqpEndpoint', 'VirtualHost', 'BrokerCredentialsSecretArn', 'ClientCredentialsSecretArn', 'WorkerCredentialsSecretArn']),
    );
    const value = JSON.stringify(stateless.findOutputs('EventSourceMappings')['EventSourceMappings']?.['Value']);
    for (const fn of ['register-requests', 'handle-worker-responses', 'record-heartbeats', 'handle-worker-dead-letters']) expect(value).toContain(fn);
    expect(value).toMatch(/RegisterRequestsEventSource/);
  });

  it('reads its arguments as cdk does (-c env=dev), with the number of requests', () => {
    expect(parseArguments(['-c', 'env=dev'])).toEqual({ environment: 'dev', requests: 20 });
    expect(parseArguments(['-c', 'env=prod', '--requests', '50'])).toEqual({ environment: 'prod', requests: 50 });
    expect(() => parseArguments([])).toThrow(/usage/);
    expect(() => parseArguments(['-c', 'env=dev', '--requests', '1'])).toThrow(/2 to 1000/);
  });
});

describe('Point 7: smoke test, verdict', () => {
  it('passes a run where every check holds, in one line', () => {
    const verdict = judge(passing());
    expect(verdict).toEqual({
      ok: true,
      problems: [],
      line: 'SMOKE PASS dev: 3 requests final (2 SUCCESS, 1 ERROR as forced), 4 mappings Enabled and OK, no new dead letter, input queues quorum',
    });
  });

  it('fails on a mapping with a PROBLEM result or disabled, quoting what Lambda says', () => {
    const observations = passing();
    observations.mappings[1] = { expected: targets.mappings[1]!, answer: mapping('problem') };
    observations.mappings[2] = { expected: targets.mappings[2]!, answer: mapping('disabled') };
    const verdict = judge(observations);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([
      expect.stringMatching(/^mapping handle-worker-responses \(regards\.worker\.manager\.response\): last processing result PROBLEM: Connection error/),
      'mapping record-heartbeats (regards.worker.manager.heartbeat.shared): Disabled (USER_INITIATED)',
      'mapping record-heartbeats (regards.worker.manager.heartbeat.shared): last processing result PROBLEM: Lambda failed to authenticate with the event source.',
    ]);
    expect(verdict.line).toMatch(/^SMOKE FAIL dev: mapping handle-worker-responses/);
  });

  it('fails on requests short of their final state, new dead letters, a missing mapping and a wrong input queue type, all at once', () => {
    const observations = passing();
    observations.requests[0]!.observed = 'DISPATCHED';
    observations.requests[2]!.observed = undefined;
    observations.deadLetters[1]!.after = 3;
    observations.mappings[3] = { expected: targets.mappings[3]!, answer: undefined };
    observations.inputQueues[0]!.observed = 'classic';
    const verdict = judge(observations);
    expect(verdict.problems).toEqual([
      '2 of 3 requests not in their final state: smoke-1-0 DISPATCHED (want ERROR), smoke-1-2 unknown (want SUCCESS)',
      'mapping handle-worker-dead-letters (regards.worker.manager.request.dlq): not found (9a2d8e1b-4e5f-4a6b-9c7d-8e9f0a1b2c34)',
      'new dead letters: regards.worker.manager.response.DLQ +3',
      `input queue ${targets.mappings[0]!.queue} is classic, settings say quorum`,
    ]);
    expect(verdict.line.split('\n')).toHaveLength(1);
  });

  it('does not count a queue that drained as a failure, and lists at most five requests', () => {
    const observations = passing();
    observations.deadLetters[0]!.after = 0;
    expect(judge(observations).ok).toBe(true);
    observations.requests = Array.from({ length: 8 }, (_, n) => ({ id: `r${n}`, expected: 'SUCCESS' as const, observed: undefined }));
    expect(judge(observations).problems[0]).toMatch(/r4 unknown \(want SUCCESS\), … \(8 in all\)$/);
  });
});
