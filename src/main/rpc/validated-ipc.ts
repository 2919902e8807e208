/**
 * The one way into the main process from a renderer: every ipcMain listener and handler is
 * registered here, and an event reaches it only when it was sent by the main frame of a window
 * Tessera opened, showing Tessera's own UI (Electron's security checklist, "Validate the sender of
 * all IPC messages"; VS Code's `validatedIpcMain`, src/vs/base/parts/ipc/electron-main/ipcMain.ts,
 * checks the same three things: the channel's prefix, the frame's URL, no parent frame). It takes
 * Electron's objects as parameters, so it runs in tests without Electron (src/main/app/ipc-main.ts
 * makes the app's one instance).
 */

/** The part of Electron's WebFrameMain this needs. */
export interface IpcFrameLike {
  readonly url: string;
  /** null for a main frame; an iframe's parent otherwise. */
  readonly parent: IpcFrameLike | null;
}

/** The part of Electron's IpcMainEvent and IpcMainInvokeEvent this needs. */
export interface IpcEventLike {
  sender: { id: number };
  /** null when the frame has navigated away or is gone since it sent the message. */
  readonly senderFrame: IpcFrameLike | null;
}

/** The part of Electron's ipcMain this needs, over its two event types. */
export interface IpcMainLike<OnEvent extends IpcEventLike, InvokeEvent extends IpcEventLike> {
  on(channel: string, listener: (event: OnEvent, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: OnEvent, ...args: unknown[]) => void): unknown;
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** A window's web contents, as far as trusting it goes. */
export interface TrustedContentsLike {
  id: number;
  once(event: 'destroyed', listener: () => void): unknown;
}

export interface ValidatedIpc<OnEvent extends IpcEventLike, InvokeEvent extends IpcEventLike> {
  /** Count this window's web contents as Tessera's until they are destroyed. */
  trust(contents: TrustedContentsLike): void;
  /** ipcMain.on, for validated senders only; returns what removes the listener. */
  on(channel: string, listener: (event: OnEvent, ...args: unknown[]) => void): () => void;
  /** ipcMain.handle, for validated senders only (others get an error); returns what removes it. */
  handle(channel: string, handler: (event: InvokeEvent, ...args: unknown[]) => unknown): () => void;
}

/** Tessera's channels all start so (src/shared/bridge-transport.ts, src/shared/desktop-bridge.ts). */
export const CHANNEL_PREFIX = 'tessera:';

/** Why `event` may not use Tessera's channels, or null when it may. */
export function senderRefusal(
  event: IpcEventLike,
  trusted: ReadonlySet<number>,
  isAppUrl: (url: string) => boolean,
): string | null {
  const frame = event.senderFrame;
  if (frame === null) return 'the frame that sent it is gone or has navigated away';
  if (!trusted.has(event.sender.id)) return 'it does not come from a Tessera window';
  if (frame.parent !== null) return 'it comes from a frame inside the page, not the page itself';
  if (!isAppUrl(frame.url)) return "the page that sent it is not Tessera's own UI";
  return null;
}

/** What a front that only listens (the RPC transport) or only answers (the console base) needs. */
export type IpcListen = Pick<ValidatedIpc<IpcEventLike, IpcEventLike>, 'on'>;
export type IpcAnswer = Pick<ValidatedIpc<IpcEventLike, IpcEventLike>, 'handle'>;

export function createValidatedIpc<OnEvent extends IpcEventLike, InvokeEvent extends IpcEventLike>(
  ipcMain: IpcMainLike<OnEvent, InvokeEvent>,
  options: { isAppUrl: (url: string) => boolean; warn?: (line: string) => void },
): ValidatedIpc<OnEvent, InvokeEvent> {
  const trusted = new Set<number>();
  const warn = options.warn ?? ((line: string) => console.warn(line));
  const refusal = (channel: string, event: IpcEventLike): string | null => {
    const why = senderRefusal(event, trusted, options.isAppUrl);
    // Only the channel and the reason: what was sent is not trusted enough to print.
    if (why !== null) warn(`IPC on ${channel} refused: ${why}`);
    return why;
  };
  const checkChannel = (channel: string) => {
    if (!channel.startsWith(CHANNEL_PREFIX))
      throw new Error(`IPC channel ${channel} does not start with ${CHANNEL_PREFIX}`);
  };
  return {
    trust(contents) {
      trusted.add(contents.id);
      contents.once('destroyed', () => trusted.delete(contents.id));
    },
    on(channel, listener) {
      checkChannel(channel);
      const validated = (event: OnEvent, ...args: unknown[]) => {
        if (refusal(channel, event) === null) listener(event, ...args);
      };
      ipcMain.on(channel, validated);
      return () => void ipcMain.removeListener(channel, validated);
    },
    handle(channel, handler) {
      checkChannel(channel);
      ipcMain.handle(channel, (event, ...args) => {
        const why = refusal(channel, event);
        if (why !== null) throw new Error(`refused: ${why}`);
        return handler(event, ...args);
      });
      return () => ipcMain.removeHandler(channel);
    },
  };
}
