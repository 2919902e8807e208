import type { CliSession } from './cli-link';

const CTRL_RIGHT_BRACKET = 0x1d;

/**
 * An interactive serial console in this terminal, through a console grant like every other
 * front uses. Ctrl-] leaves (as telnet and virsh console do); the VM keeps running.
 */
export async function runSerialConsole(session: CliSession, id: string): Promise<number> {
  const { token } = await session.client.call('console.open', { id, kind: 'serial' });
  const stream = await session.link.openConsole(token);
  if (!stream) throw new Error(`could not attach to the serial console of '${id}'`);
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) {
    stdin.setRawMode(true);
    process.stderr.write(`connected to the serial console of '${id}'; Ctrl-] leaves\r\n`);
  }
  return new Promise<number>((resolve) => {
    const done = (code: number) => {
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onInput);
      stream.destroy();
      resolve(code);
    };
    const onInput = (chunk: Buffer) => {
      if (raw && chunk.includes(CTRL_RIGHT_BRACKET)) return done(0);
      stream.write(chunk);
    };
    stdin.on('data', onInput);
    stdin.once('end', () => {
      // Piped input: give the guest a moment to answer before leaving.
      setTimeout(() => done(0), 500);
    });
    stream.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    stream.once('close', () => {
      if (raw) process.stderr.write('\r\nthe serial console closed (the VM stopped?)\r\n');
      done(0);
    });
  });
}
