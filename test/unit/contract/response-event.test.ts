import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../shared/contract/contract-error.js';
import {
  ResponseEventBodySchema,
  buildResponseEvent,
  buildResponseEventBody,
  delayedMessage,
  duplicateRequestMessage,
  errorMessage,
  grantedMessage,
  invalidContentMessage,
  skippedContentTypeMessage,
  successMessage,
  type ResponseEventFields,
} from '../../../shared/contract/response-event.js';
import { DEFAULT_WIRE_NAMES } from '../../../shared/contract/wire-names.js';

const TARGET = { exchange: DEFAULT_WIRE_NAMES.responseExchange, appId: 'REGARDS' };

const GRANTED: ResponseEventFields = {
  tenant: 'project1',
  requestId: 'req-001',
  owner: 'owner',
  session: 'session-1',
  contentType: 'to-extract',
  workerType: 'extract-worker',
  state: 'GRANTED',
  messages: [grantedMessage()],
};

function bodyOf(message: { body: Uint8Array }): unknown {
  return JSON.parse(Buffer.from(message.body).toString('utf8'));
}

describe('buildResponseEvent', () => {
  it('writes a GRANTED event with every header REGARDS sends', () => {
    const message = buildResponseEvent(TARGET, GRANTED);
    expect(message.exchange).toBe('regards.broadcast.fr.cnes.regards.modules.workermanager.amqp.events.out.ResponseEvent');
    expect(message.routingKey).toBe('');
    expect(message.headers).toEqual({
      'regards.tenant': 'project1',
      'regards.request.id': 'req-001',
      'regards.request.owner': 'owner',
      'regards.request.session': 'session-1',
      'regards.request.content_type': 'to-extract',
      'regards.worker_id': 'extract-worker',
      'regards.converter': 'GSON',
      'regards.type': 'fr.cnes.regards.modules.workermanager.amqp.events.out.ResponseEvent',
    });
    expect(message.properties).toEqual({ contentType: 'application/json', priority: 1, appId: 'REGARDS', persistent: true });
  });

  it('writes the body in the Java field order with type EXTRACTION and no content', () => {
    const text = Buffer.from(buildResponseEvent(TARGET, GRANTED).body).toString('utf8');
    expect(text).toBe(
      '{"state":"GRANTED","messages":["Your request has been successfully registered."],"requestId":"req-001","type":"EXTRACTION","requestOwner":"owner"}',
    );
  });

  it('puts the SUCCESS content in Base64', () => {
    const content = Buffer.from('{"sip":"done"}');
    const message = buildResponseEvent(TARGET, { ...GRANTED, state: 'SUCCESS', messages: [successMessage('extract-worker')], content });
    const body = ResponseEventBodySchema.parse(bodyOf(message));
    expect(body.state).toBe('SUCCESS');
    expect(Buffer.from(body.content ?? '', 'base64')).toEqual(content);
  });

  it('leaves out what a SKIPPED request did not provide, as Gson leaves out nulls', () => {
    const message = buildResponseEvent(TARGET, { tenant: 'project1', requestId: 'req-2', state: 'SKIPPED', messages: ['a', 'b'] });
    expect(Object.keys(message.headers).sort()).toEqual(['regards.converter', 'regards.request.id', 'regards.tenant', 'regards.type']);
    expect(bodyOf(message)).toEqual({ state: 'SKIPPED', messages: ['a', 'b'], requestId: 'req-2', type: 'EXTRACTION' });
  });

  it('leaves out regards.worker_id when no worker was dispatched (DELAYED)', () => {
    const { workerType: _dropped, ...fields } = GRANTED;
    const message = buildResponseEvent(TARGET, { ...fields, state: 'DELAYED', messages: [delayedMessage('to-extract')] });
    expect(message.headers).not.toHaveProperty('regards.worker_id');
    expect(message.headers['regards.request.content_type']).toBe('to-extract');
  });

  it('stamps the timestamp when given', () => {
    const timestamp = new Date('2024-08-02T09:45:10Z');
    expect(buildResponseEvent({ ...TARGET, timestamp }, GRANTED).properties?.timestamp).toBe(timestamp);
  });

  it.each([
    ['tenant', { ...GRANTED, tenant: ' ' }],
    ['request id', { ...GRANTED, requestId: '' }],
  ])('refuses an event without a %s', (_label, fields) => {
    expect(() => buildResponseEvent(TARGET, fields)).toThrow(ContractError);
  });

  it('makes content on a non-SUCCESS state unwritable', () => {
    // @ts-expect-error content is only allowed with state SUCCESS
    const fields: ResponseEventFields = { ...GRANTED, content: Buffer.from('x') };
    expect(bodyOf(buildResponseEvent(TARGET, fields))).not.toHaveProperty('content');
  });

  it('copies the messages rather than sharing the caller array', () => {
    const messages = ['one'];
    const body = buildResponseEventBody({ ...GRANTED, messages });
    messages.push('two');
    expect(body.messages).toEqual(['one']);
  });
});

describe('ResponseEventBodySchema', () => {
  const body = { state: 'SUCCESS', messages: [], requestId: 'r', content: 'e30=', type: 'EXTRACTION', requestOwner: 'o' };

  it('accepts a SUCCESS body with content', () => {
    expect(ResponseEventBodySchema.safeParse(body).success).toBe(true);
  });

  it.each([
    ['content on another state', { ...body, state: 'ERROR' }],
    ['content that is not Base64', { ...body, content: 'e30' + '!' }],
    ['another type', { ...body, type: 'INGEST' }],
    ['an unknown state', { ...body, state: 'DONE' }],
    ['messages that are not strings', { ...body, messages: [1] }],
    ['no requestId', { ...body, requestId: undefined }],
  ])('refuses %s', (_label, candidate) => {
    expect(ResponseEventBodySchema.safeParse(candidate).success).toBe(false);
  });
});

describe('message texts', () => {
  it('are the reference texts', () => {
    expect(grantedMessage()).toBe('Your request has been successfully registered.');
    expect(delayedMessage('to-extract')).toBe('Your request has been delayed as no worker is currently matching content type <to-extract>.');
    expect(invalidContentMessage('w1', 'bad product')).toBe('Your request is not valid (invalidated by the matching worker <w1>). bad product');
    expect(errorMessage('w1', 'disk full')).toBe('Error during processing your request in <w1> worker : Cause : disk full.');
    expect(successMessage('w1')).toBe('Your request has been successfully handled by the <w1> worker.');
    expect(duplicateRequestMessage('req-1')).toBe('Request is denied cause the given requestId <req-1> already exists');
  });

  it('prints the skipped content type plainly, without the reference Optional[...] quirk', () => {
    expect(skippedContentTypeMessage('ignored-type', 'project1')).toBe(
      'Content type <ignored-type> is configured to be automatically skipped on tenant <project1>',
    );
  });
});
