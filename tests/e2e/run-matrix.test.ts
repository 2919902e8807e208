// A run matrix on the Runs page (issue 12) in Chromium against `tessera serve --simulate adl-p`:
// the CLI runs two presets on a tiny guest on a simulated VF in the serve's backend, the page
// draws the grid as it goes, a cell goes to its run's row, and two cells picked show the diff
// naming the preset and the provisioning it gave.
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixRecord } from '../../src/shared/run-matrix';
import { runCli, startServe, stopProcess } from '../support/cli-process';
import {
  docsScreenshotPath,
  launchBrowser,
  requireBuiltRenderer,
  screenshotOnFailure,
  screenshotWholePage,
} from '../support/browser';
import { buildTinyGuest, tinyGuestCreateOptions } from '../support/tiny-guest';
import { REPO_ROOT, TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { RunsPage } from './runs-page';

const SAMPLE_PLAN = path.join(REPO_ROOT, 'resources', 'plans', 'gpu-guest-smoke.yaml');
const SIM = ['--simulate', 'adl-p'];
/** Two tiny-guest runs under TCG on a shared 2-core machine: a minute alone, several under load. */
const LOADED_MACHINE_TIMEOUT_MS = 600_000;
let home: TempHome;
let serve: { child: ChildProcess; url: string };
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let ui: RunsPage;

beforeAll(async () => {
  requireBuiltRenderer();
  const guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-matrixui-');
  serve = await startServe(home.env, SIM);
  expect((await runCli([...SIM, 'gpu', 'vfs', '0000:00:02.0', '3'], home.env)).code).toBe(0);
  const created = await runCli(
    [...SIM, 'vm', 'create', 'vf-guest', ...tinyGuestCreateOptions(guest, 128), '--gpu', 'vf:0000:00:02.1'],
    home.env,
  );
  expect(created.stderr).toBe('');
  browser = await launchBrowser();
  ui = new RunsPage(browser.page);
  await browser.page.goto(serve.url);
});

afterEach((context) => screenshotOnFailure(browser.page, context.task));

afterAll(async () => {
  await browser?.close();
  if (serve) await stopProcess(serve.child);
  killVms(home.paths);
  home.cleanup();
});

describe('a matrix on the Runs page', () => {
  it(
    'shows the grid as it runs, goes from a cell to its run, and diffs two cells',
    { timeout: LOADED_MACHINE_TIMEOUT_MS },
    async () => {
      await ui.open();
      const cli = runCli(
        [
          ...SIM,
          'run',
          'matrix',
          'vf-guest',
          '--plan',
          SAMPLE_PLAN,
          '--vary',
          'preset=fair,one-big',
          '--json',
        ],
        home.env,
      );
      // The page hears of the matrix from the serve's backend while it runs.
      await browser.page.locator('[data-testid^=run-matrix-]').first().waitFor({ timeout: 120_000 });
      const result = await cli;
      const matrix = JSON.parse(result.stdout) as MatrixRecord;
      const grid = ui.matrix(matrix.id);
      for (const index of [0, 1])
        await ui
          .matrixCell(matrix.id, index)
          .filter({ hasText: /^(passed|failed)/ })
          .waitFor({ timeout: 120_000 });
      expect(await grid.getByRole('columnheader').allTextContents()).toEqual(['preset', 'result']);
      expect(await grid.getByRole('rowheader').allTextContents()).toEqual(['fair', 'one-big']);
      const [fairRun, bigRun] = matrix.cells.map((c) => c.runId ?? '');
      expect(await ui.matrixCell(matrix.id, 0).textContent()).toContain(fairRun);

      await ui.followCell(matrix.id, 1);
      await expect.poll(() => ui.row(bigRun ?? '').getAttribute('class')).toBe('run-row-shown');
      expect(await ui.row(bigRun ?? '').textContent()).toContain('preset=one-big');

      const diff = await ui.compareCells(matrix.id, 0, 1);
      const rows = await diff.getByTestId('run-diff-setup').allTextContents();
      expect(rows[0]).toBe('provisioning matrix presetfairone-big');
      expect(rows.slice(1).every((r) => r.startsWith('provisioning '))).toBe(true);
      expect(rows.some((r) => /ggtt_quota/.test(r))).toBe(true);
      expect(await diff.getByTestId('run-diff-step').count()).toBe(0);
      await screenshotWholePage(browser.page, docsScreenshotPath('runs-matrix.png'));
    },
  );
});
