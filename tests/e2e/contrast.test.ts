/**
 * Every view, in the light and the dark theme, passes axe-core's colour-contrast rule (WCAG 2 AA)
 * on `tessera serve --simulate adl-p` with a VM defined and VFs on the GPU page (issue 19: the
 * dark theme hid the VF titles, hovered buttons were blue on blue). Screenshots of each are kept.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR } from '../support/browser';
import { runCli } from '../support/cli-process';
import { buildTinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR } from '../support/temp-home';
import { createTinyVm, uiSessionPerFile } from './ui-session';

// Evaluated through the DevTools protocol: the page's CSP (rightly) refuses an injected <script>.
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const session = uiSessionPerFile('contrast', {
  serveArgs: ['--simulate', 'adl-p'],
  async prepare(home) {
    const guest = buildTinyGuest(TINY_GUEST_DIR);
    await createTinyVm(home, guest, 'contrast-vm', { extra: ['--simulate', 'adl-p'] });
    // VFs on vfio-pci and on no driver, so the GPU page shows every kind of function box.
    await runCli(['gpu', 'vfs', '0000:00:02.0', '4', '--bind', 'vfio', '--simulate', 'adl-p'], home.env);
  },
});

interface Finding {
  target: string;
  summary: string;
}

const VIEWS = [
  { name: 'gallery', hash: '#/', ready: 'vm-card-contrast-vm' },
  { name: 'editor', hash: '#/new', ready: 'vm-editor' },
  { name: 'host', hash: '#/host', ready: 'check-list' },
  { name: 'gpu', hash: '#/gpu', ready: 'gpu-0000:00:02.1' },
  { name: 'wall', hash: '#/wall', ready: null },
  { name: 'console', hash: '#/vm/contrast-vm/console', ready: null },
] as const;

describe.each(['light', 'dark'] as const)('the %s theme', (theme) => {
  it.each(VIEWS)('$name has enough contrast everywhere', async ({ name, hash, ready }) => {
    const page = session.browser?.page;
    if (!page) throw new Error('no browser');
    await page.getByTestId('theme').selectOption(theme);
    await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
    if (ready) await page.getByTestId(ready).first().waitFor();
    else await page.locator('main h2, main h1, main .empty').first().waitFor();
    await page.screenshot({
      path: path.join(SCREENSHOT_DIR, `contrast-${name}-${theme}.png`),
      fullPage: true,
    });
    if ((await page.evaluate('typeof axe')) === 'undefined') await page.evaluate(AXE);
    // A string: the tests compile without the DOM's types, and axe lives in the page.
    const findings = await page.evaluate<Finding[]>(`axe
      .run(document, { runOnly: { type: 'rule', values: ['color-contrast'] } })
      .then((r) => r.violations.flatMap((v) => v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary }))))`);
    expect(findings).toEqual([]);
  });
});
