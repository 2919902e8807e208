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

/** A socket file nobody listens on, as a killed process leaves it. */
async function leaveDeadSocket(socketPath: string): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(socketPath, r));
  // Closing a listener may unlink its file: move it aside meanwhile, so it stays behind.
  const aside = `${socketPath}.aside`;
  fs.renameSync(socketPath, aside);
  await new Promise<void>((r) => server.close(() => r()));
  fs.renameSync(aside, socketPath);
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

  it('replaces and clears what killed instances left, and lists only live sockets', async () => {
    const dir = tempDir();
    await leaveDeadSocket(serveControlPath(dir, 5000));
    fs.writeFileSync(serveControlPath(dir, 6000), 'not a socket');
    await leaveDeadSocket(serveControlPath(dir, 7000));
    const control = await listenServeControl(dir, 5000, { link: () => 'l', revoke: () => 0 });
    try {
      expect(await servePorts(dir)).toEqual([5000]);
      expect(fs.existsSync(serveControlPath(dir, 7000))).toBe(false); // a dead one is cleared
      expect(await askForLink(dir, 5000)).toBe('l');
    } finally {
      await control.close();
    }
  });
});
