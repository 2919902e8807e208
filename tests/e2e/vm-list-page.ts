import type { Locator, Page } from 'playwright-core';

/** The VM list as a user sees it; selectors are the stable test ids from identity. */
export class VmListPage {
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
}
