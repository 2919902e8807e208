import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { askForLink, askToRevoke, listenServeControl, serveControlPath, servePorts } from './serve-control';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-sc-'));
  dirs.push(d);
  return d;
}

describe('the serve control socket', () => {
  it('answers --link and --revoke-sessions, 0600, and is gone after close', async () => {
    const dir = tempDir();
    let revoked = 0;
    const control = await listenServeControl(dir, 4242, {
      link: () => 'http://x/#token=t',
      revoke: () => ++revoked,
    });
    try {
      expect(fs.statSync(serveControlPath(dir, 4242)).mode & 0o777).toBe(0o600);
      expect(await servePorts(dir)).toEqual([4242]);
      expect(await askForLink(dir, 4242)).toBe('http://x/#token=t');
      expect(await askToRevoke(dir, 4242)).toBe(1);
      await expect(listenServeControl(dir, 4242, { link: () => '', revoke: () => 0 })).rejects.toThrow(
        'already answers',
      );
    } finally {
      await control.close();
    }
    expect(fs.existsSync(serveControlPath(dir, 4242))).toBe(false);
  });

  it('replaces what a killed instance left, and lists only sockets, not look-alike files', async () => {
    const dir = tempDir();
    const stale = net.createServer();
    await new Promise<void>((r) => stale.listen(serveControlPath(dir, 5000), r));
    // Closing a listener unlinks its socket file; copy the path first to leave one behind.
    fs.renameSync(serveControlPath(dir, 5000), path.join(dir, 'kept.sock'));
    await new Promise<void>((r) => stale.close(() => r()));
    fs.renameSync(path.join(dir, 'kept.sock'), serveControlPath(dir, 5000));
    fs.writeFileSync(serveControlPath(dir, 6000), 'not a socket');
    const control = await listenServeControl(dir, 5000, { link: () => 'l', revoke: () => 0 });
    try {
      expect(await servePorts(dir)).toEqual([5000]);
      expect(await askForLink(dir, 5000)).toBe('l');
    } finally {
      await control.close();
    }
  });
});
