import type { CliSession } from './cli-link';

const CTRL_RIGHT_BRACKET = 0x1d;

/**
 * An interactive serial console in this terminal, through a console grant like every other
 * front uses. Ctrl-] leaves (as telnet and virsh console do); the VM keeps running.
 */
export async function runSerialConsole(session: CliSession, id: string): Promise<number> {
  const { token } = await session.client.call('console.open', { id, kind: 'serial' });
  const channel = await session.link.openConsole(token);
  if (!channel) throw new Error(`could not attach to the serial console of '${id}'`);
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) {
    stdin.setRawMode(true);
    process.stderr.write(`connected to the serial console of '${id}'; Ctrl-] leaves\r\n`);
  }
  return new Promise<number>((resolve) => {
    let finished = false;
    const done = (code: number) => {
      if (finished) return;
      finished = true;
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onInput);
      channel.close();
      resolve(code);
    };
    const onInput = (chunk: Buffer) => {
      if (raw && chunk.includes(CTRL_RIGHT_BRACKET)) return done(0);
      if (!channel.write(chunk, false)) stdin.pause();
    };
    stdin.on('data', onInput);
    stdin.once('end', () => {
      // Piped input: give the guest a moment to answer before leaving.
      setTimeout(() => done(0), 500);
    });
    // The backend first replays the run's recent output, so the console does not start blank.
    channel.start({
      data: (chunk) => process.stdout.write(chunk),
      drain: () => stdin.resume(),
      end: (reason) => {
        if (raw && !finished) process.stderr.write(`\r\nthe serial console closed (${reason})\r\n`);
        done(0);
      },
    });
  });
}
