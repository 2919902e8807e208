import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type Client } from '../../src/shared/client';
import { createWsTransport } from '../../src/main/server/ws-transport';
import { waitForTextInFile } from '../../src/main/fsutil/wait-for-text';
import { GUEST_READY_MARKER, buildTinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR, makeTempHome, type TempHome } from '../support/temp-home';
import { runCli } from '../support/cli-process';
import { openConsoleSocket } from '../support/console-socket';
import { requireBuiltRenderer } from '../support/browser';
import { GalleryPage } from './gallery-page';
import { ConsolePage } from './console-page';
import { WallPage } from './wall-page';
import {
  closeUiSession,
  createTinyVm,
  openUiSession,
  pageCredentials,
  screenshotOnFailure,
  type UiSession,
} from './ui-session';
import { GUEST_WAIT_MS } from '../support/patience';

const VMS = ['tiny-a', 'tiny-b', 'tiny-c', 'tiny-d'] as const;

let home: TempHome | undefined;
let session: Partial<UiSession> = {};
let origin: string;
let browser: UiSession['browser'];
let gallery: GalleryPage;
let consoles: ConsolePage;
let wall: WallPage;
let rpc: Client | undefined;

/** What the page's own console bridges carry: the session cookie and our Origin. */
async function pageHeaders(): Promise<Record<string, string>> {
  return (await pageCredentials(session as UiSession)).headers;
}

/** The status a WebSocket upgrade of `urlPath` gets with the page's credentials. */
async function upgradeStatus(urlPath: string): Promise<{ status: number; socket?: WebSocket }> {
  const headers = await pageHeaders();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin.replace('http', 'ws')}${urlPath}`, { headers });
    ws.once('open', () => resolve({ status: 101, socket: ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', reject);
  });
}

/** The session and RPC client beforeAll opened; a test never runs without them. */
function live(): { home: TempHome; rpc: Client } {
  if (!home || !rpc) throw new Error('beforeAll did not finish');
  return { home, rpc };
}

function serialLog(id: string): string {
  return path.join(live().home.paths.runtimeDir, id, 'serial.log');
}

beforeAll(async () => {
  requireBuiltRenderer();
  const guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome();
  // The VM's name on its kernel command line lets a test tell whose console it reached.
  for (const id of VMS) await createTinyVm(home, guest, id, { append: `${guest.append} tessera.vm=${id}` });
  await createTinyVm(home, guest, 'tiny-spice', { extra: ['--display', 'spice'] });
  await createTinyVm(home, guest, 'tiny-text', { extra: ['--gpu', 'none'] });
  session = await openUiSession(home);
  ({ origin, browser } = session as UiSession);
  gallery = new GalleryPage(browser.page);
  consoles = new ConsolePage(browser.page);
  wall = new WallPage(browser.page);
  // The page's own session: console tokens open a bridge only for the session whose RPC got them.
  const { headers, rpcProtocols } = await pageCredentials(session as UiSession);
  const socket = new WebSocket(`${origin.replace('http', 'ws')}/rpc`, rpcProtocols, { headers });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  rpc = createClient(createWsTransport(socket));
});

afterEach((context) => screenshotOnFailure(session, 'consoles', context.task));

afterAll(async () => {
  rpc?.close();
  await closeUiSession(session, home);
});

describe('consoles in Chromium against tessera serve', () => {
  it("shows a card's thumbnail once its VM runs", async () => {
    await gallery.card('tiny-a').waitFor();
    await gallery.start('tiny-a');
    await gallery.waitForState('tiny-a', 'running');
    // SeaBIOS, then the kernel, draw on the VGA screen within seconds; polled about once a second.
    await vi.waitFor(
      async () => {
        const stats = await gallery.thumbnailStats('tiny-a');
        expect(stats.width).toBeGreaterThan(0);
        expect(stats.lit).toBeGreaterThan(50);
        expect(stats.colours).toBeGreaterThan(1);
      },
      { timeout: GUEST_WAIT_MS, interval: 1000 },
    );
  });

  it("shows the guest's text in the VNC console", async () => {
    await waitForTextInFile(serialLog('tiny-a'), GUEST_READY_MARKER, { timeoutMs: 60_000 });
    await gallery.openConsole('tiny-a');
    await expect(consoles.tab('vnc').getAttribute('aria-selected')).resolves.toBe('true');
    await consoles.waitForScreen();
    // The guest wrote its marker to tty0 too (serial above says it has): the screen is not blank.
    await vi.waitFor(
      async () => {
        const stats = await consoles.screenStats();
        expect(stats.width).toBeGreaterThanOrEqual(640);
        expect(stats.lit).toBeGreaterThan(500);
      },
      { timeout: 30_000, interval: 500 },
    );
    // The token opened the bridge and left no trace in the address bar or the page.
    expect(browser.page.url()).not.toMatch(/token|console\/[A-Za-z0-9_-]{16,}/);
    expect(await browser.page.content()).not.toMatch(/\/console\/[A-Za-z0-9_-]{16,}/);
  });

  it('types `echo hello` in the serial tab and sees hello', async () => {
    await consoles.tab('serial').click();
    await consoles.serial().locator('.xterm-rows').waitFor();
    await browser.page
      .getByRole('tabpanel', { name: 'Serial' })
      .getByTestId('console-status')
      .waitFor({ state: 'detached', timeout: 30_000 });
    await consoles.typeInSerial('echo hello\n');
    await vi.waitFor(async () => expect(await consoles.serialLines()).toContain('hello'), {
      timeout: 20_000,
      interval: 250,
    });
  });

  it('keeps Tab in the serial terminal and leaves it by Shift+F12, as the screen says', async () => {
    expect(await browser.page.getByTestId('serial-terminal-keys').textContent()).toBe(
      'Keys go to the terminal, Tab and Esc too · Shift+F12 leaves it',
    );
    await consoles.serial().click();
    const focusedTestId = () =>
      browser.page.evaluate<string | null>(
        `document.activeElement?.closest('[data-testid]')?.getAttribute('data-testid') ?? null`,
      );
    await browser.page.keyboard.press('Tab');
    await browser.page.keyboard.press('Shift+Tab');
    await browser.page.keyboard.press('Escape');
    await expect(focusedTestId()).resolves.toBe('serial-terminal');
    await browser.page.keyboard.press('Shift+F12');
    await expect(focusedTestId()).resolves.toBe('console-tab-serial');
    // From the tab the keyboard moves through the page as anywhere else (Tab would go back into the panel).
    await browser.page.keyboard.press('Shift+Tab');
    await expect(focusedTestId()).resolves.not.toMatch(/^(serial-terminal|console-tab-serial)$/);
  });

  it('refuses a second use of a console token with 403', async () => {
    const grant = await live().rpc.call('console.open', { id: 'tiny-a', kind: 'serial' });
    const first = await upgradeStatus(grant.path);
    expect(first.status).toBe(101);
    const second = await upgradeStatus(grant.path);
    expect(second.status).toBe(403);
    first.socket?.close();
  });

  it("opens VM A's console with A's token and never VM B's", async () => {
    await runCli(['vm', 'start', 'tiny-b'], live().home.env);
    await waitForTextInFile(serialLog('tiny-b'), GUEST_READY_MARKER, { timeoutMs: 60_000 });
    for (const [mine, other] of [
      ['tiny-a', 'tiny-b'],
      ['tiny-b', 'tiny-a'],
    ] as const) {
      const grant = await live().rpc.call('console.open', { id: mine, kind: 'serial' });
      const socket = await openConsoleSocket(
        `${origin.replace('http', 'ws')}${grant.path}`,
        await pageHeaders(),
      );
      const from = socket.received().length;
      socket.send('cat /proc/cmdline\n');
      await socket.waitFor(`tessera.vm=${mine}`, { from, timeoutMs: 20_000 });
      expect(socket.received().subarray(from).toString()).not.toContain(`tessera.vm=${other}`);
      socket.ws.close();
    }
    // A made-up token opens nothing either.
    expect((await upgradeStatus(`/console/${'x'.repeat(32)}`)).status).toBe(403);
  });

  it('shows "VM stopped" when the VM goes away and reconnects when it starts again', async () => {
    await consoles.tab('vnc').click();
    await consoles.waitForScreen();
    await runCli(['vm', 'kill', 'tiny-a'], live().home.env);
    const stopped = browser.page.getByRole('tabpanel', { name: 'Screen' }).getByTestId('console-stopped');
    await stopped.waitFor({ timeout: 30_000 });
    await expect(stopped.textContent()).resolves.toMatch(/VM stopped/);
    await stopped.getByTestId('console-start').click();
    await consoles.waitForScreen(60_000);
  });

  it('shows four running VMs on the wall at once, and Alt+2 gives the keyboard to the second', async () => {
    await Promise.all(['tiny-c', 'tiny-d'].map((id) => runCli(['vm', 'start', id], live().home.env)));
    await browser.page.getByTestId('nav-wall').click();
    await wall.page.getByTestId('wall').waitFor();
    await vi.waitFor(async () => expect(await wall.tiles().count()).toBe(4), { timeout: 30_000 });
    for (const id of VMS) await wall.waitForLive(id);
    for (const id of VMS) {
      await vi.waitFor(async () => expect((await wall.screenStats(id)).lit).toBeGreaterThan(100), {
        timeout: GUEST_WAIT_MS,
        interval: 1000,
      });
    }
    await browser.page.keyboard.press('Alt+2');
    await expect(wall.tile(VMS[1]).getAttribute('aria-current')).resolves.toBe('true');
    await expect(wall.tile(VMS[0]).getAttribute('aria-current')).resolves.toBeNull();
  });

  it('shows a SPICE display through spice-html5 and keeps the token out of what it logs', async () => {
    const logged: string[] = [];
    browser.page.on('console', (message) => logged.push(message.text()));
    await runCli(['vm', 'start', 'tiny-spice'], live().home.env);
    await browser.page.goto(`${origin}/#/vm/tiny-spice/console`);
    await expect(consoles.tab('spice').getAttribute('aria-selected')).resolves.toBe('true');
    expect(await consoles.tab('vnc').count()).toBe(0);
    await consoles.waitForScreen();
    await vi.waitFor(async () => expect((await consoles.screenStats()).lit).toBeGreaterThan(100), {
      timeout: GUEST_WAIT_MS,
      interval: 1000,
    });
    expect(logged.some((line) => line.includes('/console/'))).toBe(true); // spice-html5 did log its URL…
    expect(logged.filter((line) => /\/console\/[A-Za-z0-9_-]{16,}/.test(line))).toEqual([]); // …without the token
  });

  it('shows a VM without a graphical display its serial console, and says why', async () => {
    await browser.page.goto(`${origin}/#/vm/tiny-text/console`);
    await browser.page.getByTestId('console-no-graphics').waitFor();
    await expect(browser.page.getByTestId('console-no-graphics').textContent()).resolves.toMatch(
      /no graphics adapter/,
    );
    await expect(consoles.tab('serial').getAttribute('aria-selected')).resolves.toBe('true');
    expect(await consoles.tab('vnc').count()).toBe(0);
    expect(await consoles.tab('spice').count()).toBe(0);
  });
});
