import type { Backend } from '../../src/main/backend';
import type { Client } from '../../src/shared/client';

/** The tiny guest's shell on its serial console, through a console session as a viewer has it. */
export interface SerialShell {
  /**
   * Run a shell command and resolve with what it printed between two fresh markers (the
   * markers are made with shell arithmetic, so the echoed command line never matches them).
   */
  run(command: string, timeoutMs?: number): Promise<string>;
  /** Bytes typed as a person would; they count as console input. */
  type(text: string): void;
  close(): void;
}

let counter = 0;

export async function openSerialShell(backend: Backend, client: Client, id: string): Promise<SerialShell> {
  const { token } = await client.call('console.open', { id, kind: 'serial' });
  const channel = await backend.consoles.connect(token);
  if (!channel) throw new Error(`no serial console for ${id}`);
  let output = '';
  const waiters = new Set<() => void>();
  channel.start({
    data: (chunk) => {
      output += chunk.toString('latin1');
      for (const w of waiters) w();
    },
    drain: () => undefined,
    end: () => undefined,
  });
  const waitFor = (pattern: RegExp, from: number, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output.slice(from));
        if (!match) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(match);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `no ${pattern} on the serial console of ${id} within ${timeoutMs} ms: ${JSON.stringify(output.slice(-300))}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    async run(command, timeoutMs = 60_000) {
      const n = ++counter * 1000;
      const from = output.length;
      channel.write(Buffer.from(`echo B-$((${n}+1)); ${command}; echo E-$((${n}+2))\n`), false);
      const match = await waitFor(new RegExp(`B-${n + 1}\\r?\\n([\\s\\S]*?)E-${n + 2}`), from, timeoutMs);
      return (match[1] ?? '').replace(/\r/g, '');
    },
    type(text) {
      channel.write(Buffer.from(text), false);
    },
    close() {
      channel.close();
    },
  };
}
