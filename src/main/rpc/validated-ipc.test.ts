import { describe, expect, it } from 'vitest';
import { IPC_CHANNEL } from '../../shared/bridge-transport';
import { CHOOSE_FILE_CHANNEL, CONSOLE_BASE_CHANNEL } from '../../shared/desktop-bridge';
import { APP_ORIGIN, isAppUrl } from '../app/app-protocol';
import { fakeContents, fakeIpcMain, ipcEvent } from '../../../tests/support/fake-ipc';
import { createIpcMainTransport } from './ipc-transport';
import { createValidatedIpc } from './validated-ipc';

const PAGE = `${APP_ORIGIN}/index.html`;

function setUp() {
  const ipcMain = fakeIpcMain();
  const warnings: string[] = [];
  const ipc = createValidatedIpc(ipcMain, { isAppUrl, warn: (line) => warnings.push(line) });
  const window = fakeContents(1);
  ipc.trust(window);
  return { ipcMain, ipc, window, warnings };
}

/** Senders that must get nothing, each with the reason the refusal names. */
const HOSTILE = [
  {
    what: 'a window Tessera did not open',
    event: ipcEvent(2, PAGE),
    reason: 'not come from a Tessera window',
  },
  {
    what: "an iframe in Tessera's page, even one at app://",
    event: ipcEvent(1, PAGE, `${APP_ORIGIN}/index.html`),
    reason: 'a frame inside the page',
  },
  {
    what: 'the window after it navigated away',
    event: ipcEvent(1, 'https://evil.example/'),
    reason: 'not Tessera',
  },
  { what: 'a look-alike host', event: ipcEvent(1, 'app://tessera.evil/index.html'), reason: 'not Tessera' },
  { what: 'a file:// page', event: ipcEvent(1, 'file:///tmp/index.html'), reason: 'not Tessera' },
  { what: 'a frame that is gone', event: { sender: { id: 1 }, senderFrame: null }, reason: 'gone' },
];

describe('the validated IPC entry', () => {
  it('passes messages from the main frame of a Tessera window at app://', () => {
    const { ipcMain, ipc } = setUp();
    const seen: unknown[][] = [];
    ipc.on(IPC_CHANNEL, (_event, ...args) => seen.push(args));
    ipcMain.send(IPC_CHANNEL, ipcEvent(1, PAGE), { id: 1 }, 'second');
    expect(seen).toEqual([[{ id: 1 }, 'second']]);
  });

  it.each(HOSTILE)('drops a message from $what, saying why without quoting it', ({ event, reason }) => {
    const { ipcMain, ipc, warnings } = setUp();
    const seen: unknown[] = [];
    ipc.on(IPC_CHANNEL, (_event, message) => seen.push(message));
    ipcMain.send(IPC_CHANNEL, event, 'secret-looking payload');
    expect(seen).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`IPC on ${IPC_CHANNEL} refused:`);
    expect(warnings[0]).toContain(reason);
    expect(warnings[0]).not.toContain('payload');
  });

  it.each(HOSTILE)('refuses to answer $what', async ({ event, reason }) => {
    const { ipcMain, ipc } = setUp();
    let asked = 0;
    ipc.handle(CONSOLE_BASE_CHANNEL, () => ++asked);
    await expect(ipcMain.invoke(CONSOLE_BASE_CHANNEL, event)).rejects.toThrow(reason);
    expect(asked).toBe(0);
    await expect(ipcMain.invoke(CONSOLE_BASE_CHANNEL, ipcEvent(1, PAGE))).resolves.toBe(1);
  });

  it("answers with the handler's value and arguments, and passes its errors on", async () => {
    const { ipcMain, ipc } = setUp();
    ipc.handle(CHOOSE_FILE_CHANNEL, async (_event, request) => {
      if (request === 'bad') throw new Error('no such purpose');
      return { asked: request };
    });
    await expect(ipcMain.invoke(CHOOSE_FILE_CHANNEL, ipcEvent(1, PAGE), 'disk')).resolves.toEqual({
      asked: 'disk',
    });
    await expect(ipcMain.invoke(CHOOSE_FILE_CHANNEL, ipcEvent(1, PAGE), 'bad')).rejects.toThrow(
      'no such purpose',
    );
  });

  it('stops trusting a window when its web contents are destroyed', async () => {
    const { ipcMain, ipc, window } = setUp();
    const seen: unknown[] = [];
    ipc.on(IPC_CHANNEL, (_event, message) => seen.push(message));
    ipc.handle(CONSOLE_BASE_CHANNEL, () => 'base');
    window.destroy();
    ipcMain.send(IPC_CHANNEL, ipcEvent(1, PAGE), 'late');
    expect(seen).toEqual([]);
    await expect(ipcMain.invoke(CONSOLE_BASE_CHANNEL, ipcEvent(1, PAGE))).rejects.toThrow(
      'not come from a Tessera window',
    );
  });

  it('takes its listener and handler off ipcMain when told to', () => {
    const { ipcMain, ipc } = setUp();
    const stopListening = ipc.on(IPC_CHANNEL, () => undefined);
    const stopAnswering = ipc.handle(CONSOLE_BASE_CHANNEL, () => 'base');
    expect([ipcMain.listening(IPC_CHANNEL), ipcMain.handled(CONSOLE_BASE_CHANNEL)]).toEqual([1, true]);
    stopListening();
    stopAnswering();
    expect([ipcMain.listening(IPC_CHANNEL), ipcMain.handled(CONSOLE_BASE_CHANNEL)]).toEqual([0, false]);
  });

  it('registers only channels named tessera:…', () => {
    const { ipc } = setUp();
    expect(() => ipc.on('rpc', () => undefined)).toThrow('does not start with tessera:');
    expect(() => ipc.handle('console-base', () => undefined)).toThrow('does not start with tessera:');
  });

  it("is what the RPC transport listens through: each window gets its own page's messages only", () => {
    const { ipcMain, ipc, window } = setUp();
    const other = fakeContents(3);
    ipc.trust(other);
    const mine: unknown[] = [];
    const theirs: unknown[] = [];
    createIpcMainTransport(ipc, window).onMessage((m) => mine.push(m));
    createIpcMainTransport(ipc, other).onMessage((m) => theirs.push(m));
    ipcMain.send(IPC_CHANNEL, ipcEvent(1, PAGE), 'to one');
    ipcMain.send(IPC_CHANNEL, ipcEvent(3, PAGE), 'to three');
    ipcMain.send(IPC_CHANNEL, ipcEvent(1, PAGE, 'https://ads.example/'), 'from an iframe');
    ipcMain.send(IPC_CHANNEL, ipcEvent(4, PAGE), 'from an untrusted window');
    expect([mine, theirs]).toEqual([['to one'], ['to three']]);
    // A closed window's transport leaves ipcMain.
    other.destroy();
    expect(ipcMain.listening(IPC_CHANNEL)).toBe(1);
  });
});
