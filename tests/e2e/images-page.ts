import type { Locator, Page } from 'playwright-core';
import { GUEST_WAIT_MS } from '../support/patience';

/** The Images page (golden images and the booth) as a user sees it. */
export class ImagesPage {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.getByTestId('nav-images').click();
    await this.page.getByRole('heading', { name: 'Golden images' }).waitFor();
  }

  row(name: string): Locator {
    return this.page.getByTestId(`image-row-${name}`);
  }

  async add(file: string, name: string): Promise<void> {
    await this.page.getByTestId('image-add-path').fill(file);
    await this.page.getByTestId('image-add-name').fill(name);
    await this.page.getByTestId('image-add').click();
    await this.row(name).waitFor({ timeout: GUEST_WAIT_MS });
  }

  async bind(id: string, image: string): Promise<void> {
    await this.page.getByTestId(`booth-${id}-image`).selectOption(image);
    await this.page.getByTestId(`booth-bind-${id}`).click();
    await this.page.getByTestId(`booth-${id}-schedule`).waitFor();
  }

  async schedule(id: string, text: string): Promise<void> {
    await this.page.getByTestId(`booth-${id}-schedule`).fill(text);
    await this.page.getByTestId(`booth-${id}-schedule-set`).click();
  }

  notice(): Locator {
    return this.page.getByTestId('booth-notice');
  }
}
