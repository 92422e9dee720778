import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isBase64Url, portableBase64UrlToBytes } from '../../src/verify/base64url.ts';

describe('base64url without Buffer (non-Node runtimes)', () => {
  it('decodes what Buffer encodes, at every padding length', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length);
      expect(Buffer.from(portableBase64UrlToBytes(bytes.toString('base64url')))).toEqual(bytes);
    }
  });

  it('recognizes the alphabet', () => {
    expect(isBase64Url('abc-_09XYZ')).toBe(true);
    expect(isBase64Url('abc+/')).toBe(false);
    expect(isBase64Url('abc=')).toBe(false);
  });
});
