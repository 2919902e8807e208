import { describe, expect, it } from 'vitest';
import { offeredProtocols, singleCookie, singleHeader } from './http-headers';

const req = (...rawHeaders: string[]) => ({ rawHeaders });

describe('headers that guard the backend', () => {
  it('a header said twice is ambiguous', () => {
    expect(singleHeader(req('Host', '127.0.0.1:1'), 'host')).toBe('127.0.0.1:1');
    expect(singleHeader(req('Host', '127.0.0.1:1', 'host', 'evil.example'), 'host')).toBeUndefined();
    expect(singleHeader(req(), 'origin')).toBeUndefined();
  });

  it('a cookie named twice, in one header or two, is ambiguous', () => {
    expect(singleCookie(req('Cookie', 'a=1; s=good; b=2'), 's')).toBe('good');
    expect(singleCookie(req('Cookie', 's=good; s=evil'), 's')).toBeUndefined();
    expect(singleCookie(req('Cookie', 's=good', 'cookie', 's=evil'), 's')).toBeUndefined();
    expect(singleCookie(req('Cookie', 'ss=x; s_1=y'), 's')).toBeUndefined();
    expect(singleCookie(req('Cookie', 'v=a=b'), 'v')).toBe('a=b');
  });

  it('subprotocols are read over every header', () => {
    expect(offeredProtocols(req('Sec-WebSocket-Protocol', 'a, b', 'sec-websocket-protocol', 'c'))).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
});
