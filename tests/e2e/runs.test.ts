// The Runs page (issue 12) in Chromium against `tessera serve --simulate adl-p`: a bad plan is
// refused in the New run dialog with its line and field, the sample plan runs on a tiny guest on
// a simulated VF, a second run after a scheduling change comes from the CLI (same backend), and
// picking both shows the side-by-side diff naming only that change; then a matrix of two presets
// drawn as a grid whose cells go to their runs and can be diffed.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixRecord } from '../../src/shared/run-matrix';
import type { RunOutcome } from '../../src/shared/run-record';
import { runCli } from '../support/cli-process';
import { docsScreenshotPath, requireBuiltRenderer, screenshotWholePage } from '../support/browser';
import { buildTinyGuest, tinyGuestCreateOptions } from '../support/tiny-guest';
import { REPO_ROOT, TINY_GUEST_DIR, makeTempHome, type TempHome } from '../support/temp-home';
import { RunsPage } from './runs-page';
import { closeUiSession, openUiSession, screenshotOnFailure, type UiSession } from './ui-session';
import { GUEST_WAIT_MS } from '../support/patience';

const SAMPLE_PLAN = path.join(REPO_ROOT, 'resources', 'plans', 'gpu-guest-smoke.yaml');
const SIM = ['--simulate', 'adl-p'];

/** Tiny guests under TCG on a shared 2-core machine: runs take seconds alone, minutes under load. */
const LOADED_MACHINE_TIMEOUT_MS = 300_000;
let home: TempHome;
let session: Partial<UiSession> = {};
let browser: UiSession['browser'];
let ui: RunsPage;

beforeAll(async () => {
  requireBuiltRenderer();
  const guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-runsui-');
  session = await openUiSession(home, SIM);
  browser = (session as UiSession).browser;
  expect((await runCli([...SIM, 'gpu', 'vfs', '0000:00:02.0', '2'], home.env)).code).toBe(0);
  const created = await runCli(
    [...SIM, 'vm', 'create', 'vf-guest', ...tinyGuestCreateOptions(guest, 128), '--gpu', 'vf:0000:00:02.1'],
    home.env,
  );
  expect(created.stderr).toBe('');
  ui = new RunsPage(browser.page);
});

afterEach((context) => screenshotOnFailure(session, 'runs', context.task));

afterAll(() => closeUiSession(session, home));

describe('the Runs page', () => {
  it(
    'refuses a bad plan in the dialog, runs the sample plan, and diffs it against a run after a scheduling change',
    { timeout: LOADED_MACHINE_TIMEOUT_MS },
    async () => {
      await ui.open();
      expect(await browser.page.getByTestId('runs-empty').isVisible()).toBe(true);

      const bad = path.join(home.root, 'bad.yaml');
      fs.writeFileSync(bad, 'version: 1\nsteps:\n  - name: a\n    exec: "true"\n    timeoutS: -1\n');
      await ui.startRun('vf-guest', bad, 'first');
      await ui.dialogError().waitFor();
      expect(await ui.dialogError().textContent()).toBe(
        `${bad}:5: steps[0].timeoutS: a timeout is a positive number of seconds`,
      );
      await browser.page.getByTestId('run-new-plan').fill(SAMPLE_PLAN);
      await browser.page.getByTestId('run-new-start').click();
      await browser.page.getByTestId('run-new-dialog').waitFor({ state: 'hidden' });

      const first = browser.page.locator('[data-testid^=run-row-]').first();
      await first.waitFor();
      const firstId = ((await first.getAttribute('data-testid')) ?? '').replace('run-row-', '');
      // A tiny guest under TCG boots and runs ten steps in seconds; generous for a loaded machine.
      await ui
        .status(firstId)
        .filter({ hasText: /passed|failed|interrupted/ })
        .waitFor({ timeout: 180_000 });
      expect(await ui.status(firstId).textContent()).toBe('passed');
      expect(await ui.row(firstId).textContent()).toContain('simulated host');

      expect(
        (await runCli([...SIM, 'gpu', 'provision', '0000:00:02.1', 'exec_quantum_ms=25'], home.env)).code,
      ).toBe(0);
      const second = await runCli(
        [...SIM, 'run', 'start', 'vf-guest', '--plan', SAMPLE_PLAN, '--label', 'quantum 25', '--json'],
        home.env,
      );
      const secondId = (JSON.parse(second.stdout) as RunOutcome).id;
      // The CLI ran it in the serve's backend: the page hears of it without a reload.
      await ui.status(secondId).filter({ hasText: 'passed' }).waitFor({ timeout: GUEST_WAIT_MS });

      const diff = await ui.compare(firstId, secondId);
      const rows = diff.getByTestId('run-diff-setup');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().textContent()).toMatch(/^provisioning \S*exec_quantum_ms\d+25$/);
      expect(await diff.getByTestId('run-diff-step').count()).toBe(0);
      expect(await diff.getByTestId('run-diff-probe').count()).toBe(0);
      await screenshotWholePage(browser.page, docsScreenshotPath('runs-page.png'));
    },
  );

  it(
    'draws a matrix as a grid while it runs, goes from a cell to its run, and diffs two cells',
    { timeout: 2 * LOADED_MACHINE_TIMEOUT_MS },
    async () => {
      // Three VFs: with two, VF1's share is a half under both presets.
      expect((await runCli([...SIM, 'gpu', 'vfs', '0000:00:02.0', '3'], home.env)).code).toBe(0);
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
      const matrix = JSON.parse((await cli).stdout) as MatrixRecord;
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
