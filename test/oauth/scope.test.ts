import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScope, resolveScope } from '../../src/oauth/scope.ts';

describe('parseScope (RFC 6749 §3.3)', () => {
  it('splits on spaces, drops empty tokens and repeats, and keeps the order asked', () => {
    expect(parseScope(undefined)).toEqual([]);
    expect(parseScope('')).toEqual([]);
    expect(parseScope('invoices:read')).toEqual(['invoices:read']);
    expect(parseScope('  b a  b a c ')).toEqual(['b', 'a', 'c']);
  });

  it('gives the same answer for short and long lists (the loop and the Set agree)', () => {
    const token = fc.constantFrom('a', 'b', 'c', 'invoices:read', 'profile:read', '');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => {
        const scope = tokens.join(' ');
        const expected = [...new Set(scope.split(' ').filter((s) => s !== ''))];
        expect(parseScope(scope)).toEqual(expected);
      }),
    );
  });

  it('stays linear for a body full of distinct scopes', () => {
    const many = Array.from({ length: 8000 }, (_, i) => `s${i}`).join(' ');
    expect(parseScope(many)).toHaveLength(8000);
    expect(() => resolveScope(many, ['s1'])).toThrow(/may not request/);
  });
});
