import type { Locator, Page } from 'playwright-core';

/** The Host and GPU pages as a user sees them; selectors are the test ids from identity. */
export class HostGpuPages {
  constructor(readonly page: Page) {}

  async openHost(): Promise<void> {
    await this.page.getByTestId('nav-host').click();
    await this.page.getByTestId('check-list').waitFor();
  }

  async openGpu(): Promise<void> {
    await this.page.getByTestId('nav-gpu').click();
    await this.page.locator('.gpu-card, [data-testid=gpu-none]').first().waitFor();
  }

  badge(): Locator {
    return this.page.getByTestId('simulated-host-badge');
  }

  check(id: string): Locator {
    return this.page.getByTestId(`check-${id}`);
  }

  async checkStatus(id: string): Promise<string | null> {
    return this.page.getByTestId(`check-${id}-status`).getAttribute('data-status');
  }

  copyButton(id: string, index: number): Locator {
    return this.page.getByTestId(`check-${id}-copy-${index}`);
  }

  fn(id: string): Locator {
    return this.page.getByTestId(`gpu-${id}`);
  }

  details(): Locator {
    return this.page.getByTestId('function-details');
  }
}
