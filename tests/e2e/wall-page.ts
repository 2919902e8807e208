import type { Locator, Page } from 'playwright-core';
import { imageStats, type PixelStats } from './pixels';

/** The wall: several live consoles in a grid. */
export class WallPage {
  constructor(readonly page: Page) {}

  tiles(): Locator {
    return this.page.locator('[data-testid^="wall-tile-"]');
  }

  tile(id: string): Locator {
    return this.page.getByTestId(`wall-tile-${id}`);
  }

  /** Resolves once the tile's console is connected and drawn. */
  async waitForLive(id: string, timeoutMs = 45_000): Promise<void> {
    await this.tile(id).locator('canvas').first().waitFor({ timeout: timeoutMs });
    await this.tile(id).getByTestId('console-status').waitFor({ state: 'detached', timeout: timeoutMs });
  }

  screenStats(id: string): Promise<PixelStats> {
    return this.tile(id).locator('canvas').first().evaluate(imageStats);
  }
}
