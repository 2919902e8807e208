import type { Locator, Page } from 'playwright-core';

/** The GPU page's layout editor and review for one GPU, as a user works it. */
export class GpuSplitPage {
  constructor(
    readonly page: Page,
    readonly pf: string,
  ) {}

  async open(): Promise<void> {
    await this.page.getByTestId('nav-gpu').click();
    await this.page.getByTestId(`vf-count-${this.pf}`).waitFor();
  }

  fn(address: string): Locator {
    return this.page.getByTestId(`gpu-${address}`);
  }

  async setCount(count: number): Promise<void> {
    await this.page.getByTestId(`vf-count-${this.pf}`).fill(String(count));
  }

  reviewButton(): Locator {
    return this.page.getByTestId(`review-${this.pf}-open`);
  }

  share(vf: number, setting: string): Locator {
    return this.page.getByTestId(`share-${this.pf}-vf${vf}-${setting}`);
  }

  async barLabel(resource: string): Promise<string | null> {
    return this.page.getByTestId(`bar-${this.pf}-${resource}`).getByRole('img').getAttribute('aria-label');
  }

  /** The diff under review, as rows of cells, once the backend has worked it out. */
  async changes(): Promise<string[][]> {
    const rows = this.page.getByTestId(`review-${this.pf}-changes`).locator('tbody tr');
    await rows.first().waitFor();
    return rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
  }

  async applyReview(): Promise<void> {
    await this.page.getByTestId(`review-${this.pf}-apply`).click();
    await this.page.getByTestId(`review-${this.pf}`).waitFor({ state: 'detached' });
  }
}
