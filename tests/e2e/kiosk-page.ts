import type { Locator, Page } from 'playwright-core';

/** The Kiosk page as a user sees it, by its test ids. */
export class KioskPage {
  constructor(readonly page: Page) {}

  async open(origin: string): Promise<void> {
    await this.page.goto(`${origin}/#/kiosk`);
    await this.page.getByTestId('kiosk-map').waitFor();
  }

  monitor(name: string): Locator {
    return this.page.getByTestId(`kiosk-monitor-${name}`);
  }

  async assign(monitor: string, vm: string): Promise<void> {
    await this.page.getByTestId(`kiosk-assign-${monitor}`).selectOption(vm);
  }

  async mode(monitor: string, mode: 'qemu-window' | 'tessera-window'): Promise<void> {
    await this.page.getByTestId(`kiosk-mode-${monitor}`).selectOption(mode);
  }

  status(monitor: string): Locator {
    return this.page.getByTestId(`kiosk-status-${monitor}`);
  }

  start(): Promise<void> {
    return this.page.getByTestId('kiosk-start').click();
  }

  stop(): Promise<void> {
    return this.page.getByTestId('kiosk-stop').click();
  }
}
