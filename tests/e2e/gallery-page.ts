import type { Locator, Page } from 'playwright-core';
import { imageStats, type PixelStats } from './pixels';

/** The gallery as a user sees it; selectors are the stable test ids from identity. */
export class GalleryPage {
  constructor(readonly page: Page) {}

  card(id: string): Locator {
    return this.page.getByTestId(`vm-card-${id}`);
  }

  state(id: string): Locator {
    return this.page.getByTestId(`vm-${id}-state`);
  }

  async waitForState(id: string, state: string, timeoutMs = 30_000): Promise<void> {
    await this.state(id)
      .filter({ hasText: new RegExp(`^\\s*${state}\\s*$`, 'i') })
      .waitFor({ timeout: timeoutMs });
  }

  start(id: string): Promise<void> {
    return this.page.getByTestId(`vm-${id}-start`).click();
  }

  stop(id: string): Promise<void> {
    return this.page.getByTestId(`vm-${id}-stop`).click();
  }

  openConsole(id: string): Promise<void> {
    return this.page.getByTestId(`vm-${id}-console`).click();
  }

  thumbnail(id: string): Locator {
    return this.page.getByTestId(`vm-${id}-thumbnail`);
  }

  /** What the card's thumbnail shows, decoded by the browser itself. */
  thumbnailStats(id: string): Promise<PixelStats> {
    return this.thumbnail(id).evaluate(imageStats);
  }
}
