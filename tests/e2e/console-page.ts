import type { Locator, Page } from 'playwright-core';
import { imageStats, type PixelStats } from './pixels';

export type ConsoleTabName = 'vnc' | 'spice' | 'serial' | 'monitor' | 'ssh' | 'host';

/** One VM's console view: its tabs, the graphical screen and the terminals. */
export class ConsolePage {
  constructor(readonly page: Page) {}

  tab(name: ConsoleTabName): Locator {
    return this.page.getByTestId(`console-tab-${name}`);
  }

  /** The graphical console's element; noVNC draws into a canvas inside it. */
  screen(): Locator {
    return this.page.getByTestId('console-canvas');
  }

  /** Resolves once the graphical console is connected (no overlay over it). */
  async waitForScreen(timeoutMs = 30_000): Promise<void> {
    await this.screen().locator('canvas').first().waitFor({ timeout: timeoutMs });
    await this.page
      .getByRole('tabpanel')
      .filter({ has: this.screen() })
      .getByTestId('console-status')
      .waitFor({ state: 'detached', timeout: timeoutMs });
  }

  screenStats(): Promise<PixelStats> {
    return this.screen().locator('canvas').first().evaluate(imageStats);
  }

  serial(): Locator {
    return this.page.getByTestId('serial-terminal');
  }

  /** The serial console's visible lines, as xterm.js rendered them. */
  async serialLines(): Promise<string[]> {
    const rows = await this.serial().locator('.xterm-rows > div').allTextContents();
    return rows.map((row) => row.replace(/\u00a0/g, ' ').trimEnd());
  }

  async typeInSerial(text: string): Promise<void> {
    await this.serial().click();
    await this.page.keyboard.type(text);
  }
}
