/**
 * The kernel's answers to a write: an errno, and the parsers sysfs attributes use. Errors carry the
 * errno name in `code`, as node:fs errors from a real sysfs write do, so the helper reads both alike.
 */

export class KernelErrno extends Error {
  readonly code: string;
  constructor(code: string, why: string) {
    super(`${code}: ${why}`);
    this.code = code;
  }
}

export function fail(code: string, why: string): never {
  throw new KernelErrno(code, why);
}

/**
 * `kstrtou{8,16,32,64}(s, 0, …)`: an optional `+`, then `0x…` hex, `0…` octal or decimal, and at
 * most one trailing newline (lib/kstrtox.c). Garbage or a sign → EINVAL; too big for `bits` → ERANGE.
 */
export function kstrtou(text: string, bits: number): bigint {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const match = body.match(/^\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/);
  if (!match?.[1]) fail('EINVAL', `${JSON.stringify(text)} is not an unsigned number`);
  const digits = match[1];
  const value =
    digits.length > 1 && digits[0] === '0' && (digits[1] === 'x' || digits[1] === 'X')
      ? BigInt(digits)
      : digits.length > 1 && digits[0] === '0'
        ? BigInt(`0o${digits.slice(1)}`)
        : BigInt(digits);
  if (value >= 1n << BigInt(bits)) fail('ERANGE', `${digits} does not fit in ${bits} bits`);
  return value;
}

/** `kstrtobool` as docs/sriov-sysfs.md#pci-device-files lists it: y/Y/1/on true, n/N/0/off false, judged by the first characters (lib/kstrtox.c). */
export function kstrtobool(text: string): boolean {
  const [first, second] = [text[0], text[1]?.toLowerCase()];
  if (first === 'y' || first === 'Y' || first === '1') return true;
  if (first === 'n' || first === 'N' || first === '0') return false;
  if ((first === 'o' || first === 'O') && second === 'n') return true;
  if ((first === 'o' || first === 'O') && second === 'f') return false;
  return fail('EINVAL', `${JSON.stringify(text)} is not a boolean`);
}

/** The written text up to the first newline, as sysfs string attributes store it. */
export function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline === -1 ? text : text.slice(0, newline);
}
