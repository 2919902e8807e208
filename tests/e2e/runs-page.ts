import type { Locator, Page } from 'playwright-core';

/** The Runs page as a user sees it; selectors are the test ids from identity. */
export class RunsPage {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.getByTestId('nav-runs').click();
    await this.page.getByTestId('run-new').waitFor();
  }

  row(id: string): Locator {
    return this.page.getByTestId(`run-row-${id}`);
  }

  status(id: string): Locator {
    return this.page.getByTestId(`run-status-${id}`);
  }

  /** Fills the New run dialog and presses Start. */
  async startRun(vm: string, planPath: string, label: string): Promise<void> {
    await this.page.getByTestId('run-new').click();
    const dialog = this.page.getByTestId('run-new-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('run-new-vm').selectOption(vm);
    await dialog.getByTestId('run-new-plan').fill(planPath);
    await dialog.getByTestId('run-new-label').fill(label);
    await dialog.getByTestId('run-new-start').click();
  }

  dialogError(): Locator {
    return this.page.getByTestId('run-new-error');
  }

  async compare(a: string, b: string): Promise<Locator> {
    await this.page.getByTestId(`run-pick-${a}`).check();
    await this.page.getByTestId(`run-pick-${b}`).check();
    const diff = this.page.getByTestId('run-diff');
    await diff.waitFor();
    return diff;
  }

  matrix(id: string): Locator {
    return this.page.getByTestId(`run-matrix-${id}`);
  }

  matrixCell(id: string, index: number): Locator {
    return this.page.getByTestId(`run-matrix-${id}-cell-${index}`);
  }

  /** Follows a matrix cell to its run's row. */
  async followCell(id: string, index: number): Promise<void> {
    await this.page.getByTestId(`run-matrix-${id}-run-${index}`).click();
  }

  /** Picks two cells of a matrix for the side-by-side diff. */
  async compareCells(id: string, a: number, b: number): Promise<Locator> {
    await this.page.getByTestId(`run-matrix-${id}-pick-${a}`).check();
    await this.page.getByTestId(`run-matrix-${id}-pick-${b}`).check();
    const diff = this.page.getByTestId('run-diff');
    await diff.waitFor();
    return diff;
  }
}
