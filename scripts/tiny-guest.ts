// Builds the tiny guest the tests boot (Debian's kernel + a busybox initramfs) for people to try
// Tessera with, and prints the command that defines it as a VM.
import path from 'node:path';
import { buildTinyGuest } from '../tests/support/tiny-guest';
import { TINY_GUEST_DIR } from '../tests/support/temp-home';

const guest = buildTinyGuest(TINY_GUEST_DIR);
const rel = (p: string) => path.relative(process.cwd(), p) || p;
process.stdout.write(
  `tiny guest ready in ${rel(TINY_GUEST_DIR)}\n\n` +
    `npx tessera vm create tiny --memory 256 --kernel ${rel(guest.kernel)} --initrd ${rel(guest.initrd)} --append "${guest.append}"\n`,
);
