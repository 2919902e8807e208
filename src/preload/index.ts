import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL, IPC_CHANNEL, type PreloadBridge } from '../shared/bridge-transport';

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

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
