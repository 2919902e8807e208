import { spawn, type ChildProcess } from 'node:child_process';

export interface Xvfb {
  /** `:99`, for DISPLAY. */
  display: string;
  stop(): Promise<void>;
}

/** A virtual X server on a display number it picks itself (`-displayfd`), for QEMU's GTK window. */
export async function startXvfb(): Promise<Xvfb> {
  const child: ChildProcess = spawn(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
    {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    },
  );
  const display = await displayFromFd(child, 'Xvfb');
  return {
    display,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The display an X server started with `-displayfd 3` (and fd 3 a pipe) writes once it is ready. */
export function displayFromFd(child: ChildProcess, server: string, hint = ''): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    const fd = child.stdio[3] as NodeJS.ReadableStream | null;
    if (!fd) return reject(new Error(`${server} has no display pipe`));
    fd.setEncoding('utf8');
    fd.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`${server} exited with code ${code} before it was ready${hint}`)),
    );
  });
}
