import { BrowserWindow, dialog } from 'electron';
import { CHOOSE_FILE_CHANNEL, ChooseFileRequest } from '../../shared/desktop-bridge';
import { fileDialogOptions } from './file-dialog-options';
import { validatedIpcMain } from './ipc-main';

/**
 * The native file dialog for the VM editor. The request names only a purpose from a fixed list
 * (validated here, Electron security checklist: validate IPC senders and arguments); the page
 * never chooses a path to start from or a file to read, and gets back only the path the user picked.
 * Only Tessera's windows are answered (validatedIpcMain).
 */
export function handleFileDialogs(): void {
  validatedIpcMain.handle(CHOOSE_FILE_CHANNEL, async (event, raw: unknown): Promise<string | null> => {
    const request = ChooseFileRequest.parse(raw);
    const window = BrowserWindow.fromWebContents(event.sender);
    if (!window) return null;
    const options = fileDialogOptions(request.purpose);
    if (options.kind === 'save') {
      const result = await dialog.showSaveDialog(window, { title: options.title, filters: options.filters });
      return result.canceled || !result.filePath ? null : result.filePath;
    }
    const result = await dialog.showOpenDialog(window, {
      title: options.title,
      filters: options.filters,
      properties: ['openFile'],
    });
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });
}
