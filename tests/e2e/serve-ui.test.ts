import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_READY_MARKER, buildTinyGuest, type TinyGuest } from '../support/tiny-guest';
import { waitForTextInFile } from '../../src/main/console/serial-log';
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
  const created = await runCli(
    [
      'vm',
      'create',
      'tiny',
      '--memory',
      '256',
      '--kernel',
      guest.kernel,
      '--initrd',
      guest.initrd,
      '--append',
      guest.append,
    ],
    home.env,
  );
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
    expect(new URL(browser.page.url()).search).toBe(''); // the token left the address bar
    await ui.card('tiny').waitFor();
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

  it('a reused launch link is refused', async () => {
    const second = await launchBrowser();
    try {
      const response = await second.page.goto(serve.url);
      expect(response?.status()).toBe(403);
    } finally {
      await second.close();
    }
  });
});
