import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  GUEST_READY_MARKER,
  buildTinyGuest,
  tinyGuestCreateOptions,
  type TinyGuest,
} from '../support/tiny-guest';
import { waitForTextInFile } from '../../src/main/fsutil/wait-for-text';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { runCli, startServe, stopProcess } from '../support/cli-process';
import { SCREENSHOT_DIR, launchBrowser, requireBuiltRenderer, screenshotOnFailure } from '../support/browser';
import { GalleryPage } from './gallery-page';

let home: TempHome;
let guest: TinyGuest;
let serve: { child: ChildProcess; url: string };
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let ui: GalleryPage;

beforeAll(async () => {
  requireBuiltRenderer();
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome();
  const created = await runCli(['vm', 'create', 'tiny', ...tinyGuestCreateOptions(guest, 256)], home.env);
  expect(created.stderr).toBe('');
  serve = await startServe(home.env);
  browser = await launchBrowser();
  ui = new GalleryPage(browser.page);
});

afterEach((context) => screenshotOnFailure(browser.page, context.task));

afterAll(async () => {
  await browser?.close();
  if (serve) await stopProcess(serve.child);
  killVms(home.paths);
  home.cleanup();
});

describe('tessera serve in Chromium', () => {
  it('opens with the one-time link and lists the VM the CLI created', async () => {
    await browser.page.goto(serve.url);
    await ui.card('tiny').waitFor();
    expect(browser.page.url()).not.toContain('token'); // the token left the address bar
    await ui.waitForState('tiny', 'stopped');
  });

  it('starts the VM from the page and sees it run, as the CLI does', async () => {
    await ui.start('tiny');
    await ui.waitForState('tiny', 'running');
    const listed = JSON.parse((await runCli(['vm', 'list', '--json'], home.env)).stdout) as {
      vms: { id: string; state: string }[];
    };
    expect(listed.vms).toEqual([expect.objectContaining({ id: 'tiny', state: 'running' })]);
    await browser.page.screenshot({ path: path.join(SCREENSHOT_DIR, 'vm-list-running.png') });
  });

  it('shows a VM started or created from the CLI live, without reloading', async () => {
    await runCli(['vm', 'create', 'second', '--memory', '128'], home.env);
    await ui.card('second').waitFor();
    await ui.waitForState('second', 'stopped');
  });

  it('stops the VM from the page', async () => {
    // A guest still booting has no acpid yet and would ignore the power button until the timeout.
    await waitForTextInFile(path.join(home.paths.runtimeDir, 'tiny', 'serial.log'), GUEST_READY_MARKER, {
      timeoutMs: 30_000,
    });
    await ui.stop('tiny');
    await ui.waitForState('tiny', 'stopped');
    const listed = JSON.parse((await runCli(['vm', 'list', '--json'], home.env)).stdout) as {
      vms: { id: string; state: string }[];
    };
    expect(listed.vms.find((v) => v.id === 'tiny')?.state).toBe('stopped');
  });

  it('a reused launch link is refused, and the page says how to get a new one', async () => {
    const second = await launchBrowser();
    try {
      await second.page.goto(serve.url);
      await second.page.getByTestId('signed-out').getByText('used already or has expired').waitFor();
      expect(second.page.url()).not.toContain('token');
    } finally {
      await second.close();
    }
  });

  it('a new tab the user opens gets in from the open one, with a session of its own', async () => {
    const tab = await browser.context.newPage();
    try {
      await tab.goto(new URL(serve.url).origin);
      await new GalleryPage(tab).card('tiny').waitFor();
      const secrets = await Promise.all(
        [browser.page, tab].map((p) =>
          p.evaluate<string | null>(`sessionStorage.getItem('tessera.session')`),
        ),
      );
      expect(secrets[0]).toBeTruthy();
      expect(secrets[1]).toBeTruthy();
      expect(secrets[1]).not.toBe(secrets[0]);
    } finally {
      await tab.close();
    }
  });

  it('`tessera serve --link` prints a fresh link that signs in another browser', async () => {
    const asked = await runCli(['serve', '--link'], home.env);
    expect(asked.stderr).toBe('');
    const link = /http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+/.exec(asked.stdout)?.[0];
    if (!link) throw new Error(`no link in ${asked.stdout}`);
    const other = await launchBrowser();
    try {
      await other.page.goto(link);
      await new GalleryPage(other.page).card('tiny').waitFor();
    } finally {
      await other.close();
    }
  });

  it('`tessera serve --revoke-sessions` signs every tab out', async () => {
    const revoked = await runCli(['serve', '--revoke-sessions'], home.env);
    expect(revoked.stdout).toMatch(/ended [1-9]\d* sessions?/);
    // The open tab loses its connection, finds its session gone, and says how to get back in.
    await browser.page.getByTestId('signed-out').waitFor({ timeout: 30_000 });
  });
});
