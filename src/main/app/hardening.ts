import type { App, Session, WebContents } from 'electron';

/**
 * Every web contents, including any a future feature creates, may show only our UI: no
 * navigation away, no new windows, no <webview>. Following Electron's security checklist.
 */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => {
    // The initial load of the UI is not renderer-initiated and does not pass here.
    event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export function hardenApp(app: App): void {
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
}

/** The UI needs no camera, notifications, clipboard reads or anything else a site may ask for. */
export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
