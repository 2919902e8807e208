// Builds the tiny guest the tests boot (Debian's kernel + a busybox initramfs) for people to try
// Tessera with, and prints the command that defines it as a VM.
import { buildTinyGuest } from '../tests/support/tiny-guest';
import { TINY_GUEST_DIR } from '../tests/support/temp-home';

const guest = buildTinyGuest(TINY_GUEST_DIR);
// Full paths: the VM editor takes only those (a relative path means nothing to a backend that
// may run in another directory), and these work from anywhere.
process.stdout.write(
  `tiny guest ready in ${TINY_GUEST_DIR}\n\n` +
    `npx tessera vm create tiny --memory 256 --kernel ${guest.kernel} --initrd ${guest.initrd} --append "${guest.append}"\n\n` +
    `or in the VM editor: kernel ${guest.kernel}, initrd ${guest.initrd}, arguments "${guest.append}"\n`,
);
