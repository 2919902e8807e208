import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Page } from 'playwright-core';
import { RPC_PROTOCOL, SESSION_PROTOCOL_PREFIX, SESSION_STORAGE_KEY } from '../../src/shared/web-session';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { tinyGuestCreateOptions, type TinyGuest } from '../support/tiny-guest';
import { killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { runCli, startServe, stopProcess } from '../support/cli-process';
import { SCREENSHOT_DIR, launchBrowser, requireBuiltRenderer } from '../support/browser';

/** `tessera serve` in a temp home with Chromium logged in through its one-time link. */
export interface UiSession {
  home: TempHome;
  serve: { child: ChildProcess; url: string };
  /** http://127.0.0.1:PORT: where the page lives and what its WebSockets send as Origin. */
  origin: string;
  browser: Awaited<ReturnType<typeof launchBrowser>>;
}

export async function openUiSession(home: TempHome, serveArgs: string[] = []): Promise<UiSession> {
  const serve = await startServe(home.env, serveArgs);
  const browser = await launchBrowser();
  await signInPage(browser.page, serve.url);
  return { home, serve, origin: new URL(serve.url).origin, browser };
}

/**
 * A test file's session, the usual way: before its tests a temp home (readied by `prepare`, e.g.
 * with VMs the CLI defines) and `tessera serve` with a signed-in Chromium; a screenshot of each
 * failed test; browser, server, VMs and home gone after. The object fills in when beforeAll runs.
 */
export function uiSessionPerFile(
  name: string,
  options: { serveArgs?: string[]; prepare?(home: TempHome): Promise<void> } = {},
): Partial<UiSession> {
  const session: Partial<UiSession> = {};
  let home: TempHome | undefined;
  beforeAll(async () => {
    requireBuiltRenderer();
    home = makeTempHome(`tessera-${name}-`);
    await options.prepare?.(home);
    Object.assign(session, await openUiSession(home, options.serveArgs));
  });
  afterEach((context) => screenshotOnFailure(session, name, context.task));
  afterAll(() => closeUiSession(session, home));
  return session;
}

/**
 * Open a launch link and wait until the page traded it for this tab's session (it keeps the
 * secret in sessionStorage and takes the token out of the address bar).
 */
export async function signInPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  // Polled with evaluate (the DevTools protocol): waitForFunction's in-page poller compiles its
  // string with new Function, which the page's CSP (rightly) refuses once it has to poll. A loop,
  // not expect.poll: sign-in runs in beforeAll hooks too. A string: no DOM types in the tests.
  const signedIn = `sessionStorage.getItem(${JSON.stringify(SESSION_STORAGE_KEY)}) !== null`;
  for (const until = Date.now() + 30_000; !(await page.evaluate<boolean>(signedIn));) {
    if (Date.now() > until)
      throw new Error(`the page did not sign in with ${new URL(url).origin}'s launch link`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * What the signed-in page itself sends with its RPC WebSocket: its cookie and Origin as headers,
 * its tab's secret as a second subprotocol. A test that talks to the backend "as the page" uses these.
 */
export async function pageCredentials(
  session: Pick<UiSession, 'browser' | 'origin'>,
): Promise<{ headers: Record<string, string>; rpcProtocols: string[] }> {
  const cookies = await session.browser.context.cookies(session.origin);
  const secret = await session.browser.page.evaluate<string | null>(
    `sessionStorage.getItem(${JSON.stringify(SESSION_STORAGE_KEY)})`,
  );
  if (secret === null) throw new Error('the page has no session');
  return {
    headers: { Cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '), Origin: session.origin },
    rpcProtocols: [RPC_PROTOCOL, `${SESSION_PROTOCOL_PREFIX}${secret}`],
  };
}

/** Browser, server and every VM of the home go, whatever state the tests left them in. */
export async function closeUiSession(session: Partial<UiSession>, home: TempHome | undefined): Promise<void> {
  await session.browser?.close();
  if (session.serve) await stopProcess(session.serve.child);
  if (home) {
    killVms(home.paths);
    home.cleanup();
  }
}

/** For afterEach: a failed test leaves a picture of the page behind. */
export async function screenshotOnFailure(
  session: Partial<UiSession>,
  prefix: string,
  task: { name: string; result?: { state?: string } },
): Promise<void> {
  if (task.result?.state !== 'fail' || !session.browser) return;
  await session.browser.page.screenshot({
    path: path.join(SCREENSHOT_DIR, `${prefix}-${task.name.replace(/\W+/g, '-')}.png`),
  });
}

/** A tiny-guest VM defined through the CLI, as a user would. */
export async function createTinyVm(
  home: TempHome,
  guest: TinyGuest,
  id: string,
  options: { memoryMiB?: number; append?: string; extra?: string[] } = {},
): Promise<void> {
  const created = await runCli(
    [
      'vm',
      'create',
      id,
      ...tinyGuestCreateOptions(guest, options.memoryMiB ?? 192, options.append),
      ...(options.extra ?? []),
    ],
    home.env,
  );
  expect(created.stderr).toBe('');
}
