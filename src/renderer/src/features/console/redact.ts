/** A console grant's path holds its token; whatever a console library prints loses it first. */
const CONSOLE_PATH = /\/console\/[A-Za-z0-9_-]+/g;

export function redactConsoleUrls(text: string): string {
  return text.replace(CONSOLE_PATH, '/console/[token]');
}
