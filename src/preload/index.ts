import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL, IPC_CHANNEL, type PreloadBridge } from '../shared/bridge-transport';
import {
  CHOOSE_FILE_CHANNEL,
  CONSOLE_BASE_CHANNEL,
  DESKTOP_GLOBAL,
  type DesktopBridge,
} from '../shared/desktop-bridge';

// Two functions on one channel and nothing else: the renderer must never get ipcRenderer itself
// (Electron security checklist), and the event object is dropped so its `sender` cannot leak.
const bridge: PreloadBridge = {
  send(message) {
    ipcRenderer.send(IPC_CHANNEL, message);
  },
  onMessage(handler) {
    const listener = (_event: IpcRendererEvent, message: unknown) => handler(message);
    ipcRenderer.on(IPC_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(IPC_CHANNEL, listener);
    };
  },
};

// What only the desktop app can do: open console bridges from app:// and show native file
// dialogs. Arguments are checked in the main process, which owns both.
const desktop: DesktopBridge = {
  consoleBase: () => ipcRenderer.invoke(CONSOLE_BASE_CHANNEL) as Promise<string>,
  chooseFile: (request) => ipcRenderer.invoke(CHOOSE_FILE_CHANNEL, request) as Promise<string | null>,
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
contextBridge.exposeInMainWorld(DESKTOP_GLOBAL, desktop);
