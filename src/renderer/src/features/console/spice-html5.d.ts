// spice-html5 0.2.1 ships plain ESM without types; only what Tessera uses is declared.
declare module '@spice-project/spice-html5/src/main.js' {
  export interface SpiceMainConnOptions {
    uri: string;
    password: string;
    screen_id: string;
    onerror?: (error: Error) => void;
    onsuccess?: () => void;
    onagent?: (connection: SpiceMainConn) => void;
  }
  export class SpiceMainConn {
    constructor(options: SpiceMainConnOptions);
    stop(): void;
    inputs?: { state: string; send_msg(message: unknown): void };
  }
}

declare module '@spice-project/spice-html5/src/spiceconn.js' {
  /** The base of every channel; its log_* methods print whatever they are given, URLs included. */
  export const SpiceConn: {
    prototype: Record<'log_info' | 'log_warn' | 'log_err', (...parts: unknown[]) => void>;
  };
}

declare module '@spice-project/spice-html5/src/spicemsg.js' {
  export class SpiceMsgcKeyDown {
    code: number;
  }
  export class SpiceMiniData {
    build_msg(type: number, payload: SpiceMsgcKeyDown): void;
  }
}

declare module '@spice-project/spice-html5/src/enums.js' {
  export const Constants: { SPICE_MSGC_INPUTS_KEY_DOWN: number; SPICE_MSGC_INPUTS_KEY_UP: number };
}
