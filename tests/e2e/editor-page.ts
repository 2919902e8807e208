import type { Locator, Page } from 'playwright-core';

/** The VM editor: fields by their key (`memoryMiB`, `kernel.path`, `disks.0.path`). */
export class EditorPage {
  constructor(readonly page: Page) {}

  field(key: string): Locator {
    return this.page.getByTestId(`field-${key.replace(/\./g, '-')}`);
  }

  error(key: string): Locator {
    return this.page.getByTestId(`field-${key.replace(/\./g, '-')}-error`);
  }

  /** What the backend said about a typed path (exists, readable, ...). */
  pathCheck(key: string): Locator {
    return this.page.getByTestId(`field-${key.replace(/\./g, '-')}-check`);
  }

  save(): Promise<void> {
    return this.page.getByTestId('editor-save').click();
  }

  async createDisk(path: string, sizeGiB: number): Promise<void> {
    await this.page.getByTestId('create-disk').click();
    const dialog = this.page.getByTestId('new-disk-dialog');
    await dialog.getByTestId('new-disk-path').fill(path);
    await dialog.getByTestId('new-disk-size').fill(String(sizeGiB));
    await dialog.getByTestId('new-disk-create').click();
    await dialog.waitFor({ state: 'hidden' });
  }
}
