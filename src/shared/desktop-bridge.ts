import { z } from 'zod';

/** Electron-only helpers the preload exposes beside the RPC bridge; the browser front has none. */
export const DESKTOP_GLOBAL = 'tesseraDesktop';
export const CONSOLE_BASE_CHANNEL = 'tessera:console-base';
export const CHOOSE_FILE_CHANNEL = 'tessera:choose-file';

export const ChooseFileRequest = z.strictObject({
  purpose: z.enum(['disk', 'cdrom', 'kernel', 'initrd', 'new-disk']),
});
export type ChooseFileRequest = z.infer<typeof ChooseFileRequest>;

export interface DesktopBridge {
  /** e.g. `ws://127.0.0.1:PORT`: where `/console/<token>` paths are opened under app://. */
  consoleBase(): Promise<string>;
  /** A native open dialog (save dialog for 'new-disk'); null when cancelled. */
  chooseFile(request: ChooseFileRequest): Promise<string | null>;
}
