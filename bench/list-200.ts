import { randomUUID } from 'node:crypto';
import { VmStore } from '../src/main/vm/vm-store';
import { VmSpec } from '../src/shared/vm-spec';
import { TESSERA_BIN } from '../tests/support/cli-process';
import { makeTempHome } from '../tests/support/temp-home';
import type { TinyGuest } from '../tests/support/tiny-guest';
import { onInterrupt, removeHome, timeChild } from './proc';
import { interleave, type Comparison } from './stats';

/** A lab's worth of definitions, and a booth-fleet's (issue 15's scale table). */
export const LIST_SIZES = [200, 2000] as const;

/**
 * `tessera vm list --json` over `definitions` definitions (a fresh CLI process with no backend
 * running, so it builds one in itself and reads every file) against the floor any Node CLI pays:
 * `node -e 0`.
 */
export async function benchList(options: {
  definitions: number;
  guest: TinyGuest;
  runs: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<Comparison> {
  const { definitions } = options;
  const home = makeTempHome('tessera-bench-list-');
  const forget = onInterrupt(() => removeHome(home.root));
  try {
    const store = new VmStore(home.paths.configDir);
    const createdAt = new Date().toISOString();
    // Realistic definitions (the tiny guest's kernel boot, a port forward) rather than bare
    // defaults, so parsing and validating them costs what a real list would.
    await Promise.all(
      Array.from({ length: definitions }, (_, i) =>
        store.save(
          VmSpec.parse({
            name: `vm-${String(i).padStart(4, '0')}`,
            uuid: randomUUID(),
            createdAt,
            memoryMiB: 256,
            kernel: {
              path: options.guest.kernel,
              initrd: options.guest.initrd,
              append: options.guest.append,
            },
            network: { mode: 'user', forwards: [{ hostPort: 20000 + (i % 40000), guestPort: 22 }] },
          }),
        ),
      ),
    );

    const list = async (): Promise<number> => {
      const result = await timeChild(process.execPath, [TESSERA_BIN, 'vm', 'list', '--json'], home.env);
      if (result.code !== 0)
        throw new Error(`tessera vm list exited with ${result.code}: ${result.stderr.trim()}`);
      // Checked after the clock stopped: a fast list that lost definitions would be no result.
      const parsed = JSON.parse(result.stdout) as { vms: unknown[]; invalid: unknown[] };
      if (parsed.vms.length !== definitions || parsed.invalid.length !== 0) {
        throw new Error(
          `tessera vm list saw ${parsed.vms.length} VMs and ${parsed.invalid.length} invalid files`,
        );
      }
      return result.ms;
    };
    const node = async (): Promise<number> => {
      const result = await timeChild(process.execPath, ['-e', '0'], home.env);
      if (result.code !== 0) throw new Error(`node -e 0 exited with ${result.code}`);
      return result.ms;
    };

    return await interleave({
      runs: options.runs,
      warmup: options.warmup,
      a: { label: `tessera vm list --json (${definitions} VMs)`, run: list },
      b: { label: 'node -e 0', run: node },
      onSample: (side, i, ms) =>
        options.log(`  run ${i + 1} ${side === 'a' ? 'list' : 'node'} ${ms.toFixed(0)} ms`),
    });
  } finally {
    forget();
    removeHome(home.root);
  }
}
