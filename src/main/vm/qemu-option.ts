/**
 * Escape a value that QEMU parses as part of a `key=value,...` option string (QemuOpts and
 * keyval both read `,,` as a literal comma). Only for those: `-kernel`, `-initrd`, `-append` and
 * `-pidfile` take their argument verbatim, and escaping there would name a different file.
 */
export function escapeOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}
