import { describe, expect, it } from 'vitest';
import { EXTRACT_FILE_HEADER, extract } from '../../../shared/worker-sdk/examples/extract-worker.js';
import { wrapIntoSip } from '../../../shared/worker-sdk/examples/sip-worker.js';

describe('example transforms', () => {
  it('extract answers the file, extracted and the body size, with the file as a header', () => {
    expect(extract({ file: 'a.dat' }, 16)).toEqual({
      ok: true,
      content: { file: 'a.dat', extracted: true, size: 16 },
      headers: { [EXTRACT_FILE_HEADER]: 'a.dat' },
    });
    expect(EXTRACT_FILE_HEADER).not.toMatch(/^(x-|regards\.|wm\.)/i);
  });

  it.each([[{}], [{ file: 3 }], [{ file: ' ' }], [['a.dat']], [null], ['a.dat']])('extract refuses %j', (input) => {
    expect(extract(input, 1).ok).toBe(false);
  });

  it('sip wraps any object with a file field, and refuses anything else', () => {
    expect(wrapIntoSip({ file: 'a.dat', size: 1 })).toEqual({ ok: true, content: { sip: { file: 'a.dat', size: 1 } } });
    expect(wrapIntoSip({ file: null })).toEqual({ ok: true, content: { sip: { file: null } } });
    expect(wrapIntoSip({ other: 1 })).toEqual({ ok: false, reason: 'the input has no "file" field' });
    expect(wrapIntoSip([{ file: 'a' }]).ok).toBe(false);
    expect(wrapIntoSip('file').ok).toBe(false);
  });
});
