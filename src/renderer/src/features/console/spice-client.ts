import type * as SpiceMain from '@spice-project/spice-html5/src/main.js';
import { pressSequence, spiceScancode, type Key } from './key-combos';
import { redactConsoleUrls } from './redact';

let loaded: Promise<typeof SpiceMain> | undefined;

/**
 * spice-html5, loaded only when a SPICE console opens. Its channels log through three methods
 * of their common base, with the WebSocket URL in some messages; they are wrapped once so every
 * message loses its token before it reaches the browser console.
 */
export function loadSpice(): Promise<typeof SpiceMain> {
  loaded ??= (async () => {
    const [{ SpiceConn }, main] = await Promise.all([
      import('@spice-project/spice-html5/src/spiceconn.js'),
      import('@spice-project/spice-html5/src/main.js'),
    ]);
    for (const level of ['log_info', 'log_warn', 'log_err'] as const) {
      const original = SpiceConn.prototype[level];
      SpiceConn.prototype[level] = function (this: unknown, ...parts: unknown[]) {
        original.call(this, redactConsoleUrls(parts.map(String).join(' ')));
      };
    }
    return main;
  })();
  return loaded;
}

/** spice-html5 only knows Ctrl+Alt+Del; any combination goes out as raw key messages on the inputs channel. */
export async function sendSpiceKeys(
  connection: SpiceMain.SpiceMainConn,
  keys: readonly Key[],
): Promise<void> {
  const [{ SpiceMsgcKeyDown, SpiceMiniData }, { Constants }] = await Promise.all([
    import('@spice-project/spice-html5/src/spicemsg.js'),
    import('@spice-project/spice-html5/src/enums.js'),
  ]);
  const inputs = connection.inputs;
  if (inputs?.state !== 'ready') return;
  for (const { key, down } of pressSequence(keys)) {
    const payload = new SpiceMsgcKeyDown();
    payload.code = spiceScancode(key.scancode);
    const message = new SpiceMiniData();
    message.build_msg(
      down ? Constants.SPICE_MSGC_INPUTS_KEY_DOWN : Constants.SPICE_MSGC_INPUTS_KEY_UP,
      payload,
    );
    inputs.send_msg(message);
  }
}
