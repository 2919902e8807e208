import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { WebSessions } from './web-sessions';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const limits = { idleMs: 1000, absoluteMs: 10_000, launchTtlMs: 500, handoffTtlMs: 100 };

describe('web sessions', () => {
  it('a launch token buys one session, once', () => {
    const book = new WebSessions(limits);
    const launch = book.issueLaunch();
    const made = book.exchange(launch);
    expect(made).toBeDefined();
    expect(book.exchange(launch)).toBeUndefined();
    expect(book.check(made?.secret, made?.cookie)).toBeDefined();
  });

  it('launch and hand-off tokens expire unused', () => {
    const c = clock();
    const book = new WebSessions(limits, c.now);
    const launch = book.issueLaunch();
    const handoff = book.issueHandoff();
    c.advance(101);
    expect(book.exchange(handoff)).toBeUndefined();
    c.advance(400);
    expect(book.exchange(launch)).toBeUndefined();
  });

  it('needs both the secret and the cookie; neither alone, nor one for the other', () => {
    const book = new WebSessions(limits);
    const a = book.exchange(book.issueLaunch());
    const b = book.exchange(book.issueLaunch());
    if (!a || !b) throw new Error('no session');
    expect(book.check(a.secret, undefined)).toBeUndefined();
    expect(book.check(undefined, a.cookie)).toBeUndefined();
    expect(book.check(a.cookie, a.cookie)).toBeUndefined();
    expect(book.check(a.secret, b.cookie)).toBeUndefined();
    expect(book.check(a.secret, a.cookie)).toBeDefined();
  });

  it('ends after the idle limit, unless used or a page holds a socket open', () => {
    const c = clock();
    const book = new WebSessions(limits, c.now);
    const idle = book.exchange(book.issueLaunch());
    const used = book.exchange(book.issueLaunch());
    const open = book.exchange(book.issueLaunch());
    if (!idle || !used || !open) throw new Error('no session');
    const socket = new PassThrough();
    book.check(open.secret, open.cookie)?.sockets.add(socket);
    for (let i = 0; i < 3; i++) {
      c.advance(600);
      expect(book.check(used.secret, used.cookie)).toBeDefined();
      book.sweep();
    }
    expect(book.check(idle.secret, idle.cookie)).toBeUndefined();
    expect(book.check(open.secret, open.cookie)).toBeDefined();
    expect(socket.destroyed).toBe(false);
  });

  it('ends at the absolute limit however busy, closing its sockets', () => {
    const c = clock();
    const book = new WebSessions(limits, c.now);
    const made = book.exchange(book.issueLaunch());
    if (!made) throw new Error('no session');
    const socket = new PassThrough();
    book.check(made.secret, made.cookie)?.sockets.add(socket);
    for (let t = 0; t <= 10_000; t += 500) {
      c.advance(500);
      book.sweep();
    }
    expect(socket.destroyed).toBe(true);
    expect(book.check(made.secret, made.cookie)).toBeUndefined();
  });

  it('revoking ends every session and spends every unused link', () => {
    const book = new WebSessions(limits);
    const made = book.exchange(book.issueLaunch());
    const unused = book.issueLaunch();
    if (!made) throw new Error('no session');
    const socket = new PassThrough();
    book.check(made.secret, made.cookie)?.sockets.add(socket);
    expect(book.revokeAll()).toBe(1);
    expect(socket.destroyed).toBe(true);
    expect(book.check(made.secret, made.cookie)).toBeUndefined();
    expect(book.exchange(unused)).toBeUndefined();
  });

  it('a console token opens a bridge only with the cookie of the session it was handed to, once', () => {
    const c = clock();
    const book = new WebSessions({ ...limits, idleMs: 120_000, absoluteMs: 120_000 }, c.now);
    const a = book.exchange(book.issueLaunch());
    const b = book.exchange(book.issueLaunch());
    if (!a || !b) throw new Error('no session');
    const session = book.check(a.secret, a.cookie);
    if (!session) throw new Error('no session');
    book.rememberConsoleGrant(session, 'tok-1');
    book.rememberConsoleGrant(session, 'tok-2');
    expect(book.takeConsoleGrant('tok-1', b.cookie)).toBeUndefined();
    expect(book.takeConsoleGrant('tok-1', a.cookie)).toBeUndefined(); // spent by the wrong try
    expect(book.takeConsoleGrant('tok-2', a.cookie)).toBe(session);
    c.advance(60_001);
    expect(book.takeConsoleGrant('tok-2', a.cookie)).toBeUndefined(); // long past the backend's TTL
    expect(book.takeConsoleGrant('never-granted', a.cookie)).toBeUndefined();
  });
});
