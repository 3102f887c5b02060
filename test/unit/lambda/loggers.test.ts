import { describe, expect, it } from 'vitest';
import { PrettyLogger } from '../../../infra/local/pretty-logger.js';
import { localContext } from '../../../shared/lambda/define-function.js';
import { JsonLogger } from '../../../shared/lambda/json-logger.js';
import { LambdaLogger } from '../../../shared/lambda/lambda-logger.js';
import { jsonLinesWrittenBy } from '../../support/json-lines.js';

describe('loggers', () => {
  it('writes one JSON object per entry, below the level nothing, with the context of its children', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('info', { fn: 'register-requests' }, (line) => lines.push(line));
    logger.debug('hidden');
    logger.child({ tenant: 't' }).warn('kept', { error: new Error('boom', { cause: 'disk' }) });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'warn',
      message: 'kept',
      fn: 'register-requests',
      tenant: 't',
      error: { name: 'Error', message: 'boom', cause: 'disk' },
    });
  });

  it('writes a readable line for a terminal, with the function first and the fields after', () => {
    const lines: string[] = [];
    new PrettyLogger('debug', { fn: 'sweep' }, (line) => lines.push(line)).info('swept', { due: 3, note: 'two words' });
    // Strip the colour codes: what a reader sees.
    // eslint-disable-next-line no-control-regex -- the colour codes start with ESC, which is what this matches
    expect(lines[0]?.replace(/\x1b\[\d+m/g, '')).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} info  sweep swept due=3 note="two words"$/);
  });

  it('says nothing at level silent', () => {
    const lines: string[] = [];
    new JsonLogger('silent', {}, (line) => lines.push(line)).error('nothing');
    expect(lines).toEqual([]);
  });

  it('in Lambda, writes every line with the function name, the request id and the cold start, errors without their stack', async () => {
    const lines = await jsonLinesWrittenBy(() => {
      const logger = LambdaLogger.create('info', { fn: 'register-requests' });
      const child = logger.child({ tenant: 't' });
      logger.addContext({ ...localContext('wm-dev-register-requests'), awsRequestId: 'request-1' });
      logger.debug('hidden');
      child.warn('kept', { error: new Error('boom', { cause: 'disk' }) });
      logger.addContext({ ...localContext('wm-dev-register-requests'), awsRequestId: 'request-2' });
      child.info('next invocation');
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      message: 'kept',
      fn: 'register-requests',
      tenant: 't',
      function_name: 'wm-dev-register-requests',
      function_request_id: 'request-1',
      error: { name: 'Error', message: 'boom', cause: 'disk' },
    });
    expect(typeof lines[0]?.['cold_start']).toBe('boolean');
    expect(JSON.stringify(lines[0])).not.toContain('stack');
    // A child made before an invocation still writes that invocation's request id.
    expect(lines[1]).toMatchObject({ message: 'next invocation', function_request_id: 'request-2', cold_start: false });
  });
});
