/**
 * The CLI's argument parsers under random and hostile argv (issue 14.4): whatever the words, they
 * either give a value or throw the CLI's own UsageError (or node's parseArgs error, which main()
 * reports as a usage error too, exit 2); never a TypeError from inside, never a hang. What they
 * make of the flags is then up to the contract's schema, which must refuse it without throwing.
 * tests/integration/fuzz-cli.test.ts runs whole commands the same way. FUZZ_RUNS=N for more.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VmCreateInput } from '../../shared/vm-spec';
import { extractGlobalOptions } from './global-options';
import { parseAttributes } from './gpu-command';
import {
  UsageError,
  createInputFromOptions,
  parseCreateOptions,
  parseDisplayOption,
  parseForward,
  parseGpuOption,
  parseUsbOption,
  requireName,
} from './parse-options';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

/** The flags `vm create` and the global options know, so random argv often means something. */
const FLAGS = [
  'cpus',
  'memory',
  'disk',
  'cdrom',
  'kernel',
  'initrd',
  'append',
  'firmware',
  'forward',
  'network',
  'gpu',
  'vga',
  'display',
  'windowed',
  'show-fps',
  'no-host-input',
  'usb',
  'evdev',
  'hugepages',
  'pin-cpus',
  'windows11',
  'guest-agent',
  'restart',
  'json',
  'host-root',
  'simulate',
];

const VALUES = [
  '',
  '0',
  '-1',
  '1e3',
  '64',
  '2222:22',
  'udp:5353:53',
  '0.0.0.0:80:80',
  'tcp:a:b:c:d',
  'vf:0000:00:02.0',
  'vf:00:02.1',
  'mdev:0000:00:02.0:i915-GVTg_V5_4',
  'mdev:',
  'mdev:x:y',
  'passthrough:',
  'virtio-gl',
  'local:HDMI-A-1',
  'local:',
  'vnc:x',
  '046D:C52B:serial',
  '3-1.4',
  '2,3',
  '2,,3',
  'uefi',
  '--',
  '-',
  '--cpus',
  '--cpus=',
  '-x',
  '..',
  '../../etc/passwd',
  'a\0b',
  '__proto__',
  'constructor',
  'toString',
  'x'.repeat(10_000),
];

const word = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FLAGS).map((f) => `--${f}`) },
  fc.tuple(fc.constantFrom(...FLAGS), fc.constantFrom(...VALUES)).map(([f, v]) => `--${f}=${v}`),
  { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const argv = fc.array(word, { maxLength: 12 });

/** UsageError, or node's parseArgs complaint (`ERR_PARSE_ARGS_*`): what main() turns into exit 2. */
function isUsage(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  return (
    error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')
  );
}

function onlyUsageErrors(run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!isUsage(error)) throw error;
  }
}

describe('the CLI parsers under random argv', () => {
  it(`global options: ${RUNS} argv give options or a usage error`, () => {
    fc.assert(
      fc.property(argv, (args) => onlyUsageErrors(() => extractGlobalOptions(args))),
      { numRuns: RUNS },
    );
  });

  it(`vm create and vm edit flags: ${RUNS} argv give an input the schema judges, or a usage error`, () => {
    fc.assert(
      fc.property(argv, fc.boolean(), (args, withInventory) =>
        onlyUsageErrors(() => {
          const { values, positionals } = parseCreateOptions(args);
          const name = requireName(positionals, 'create');
          const input = createInputFromOptions(
            name,
            values,
            withInventory
              ? ({ host: { root: '/', simulated: null }, gpus: [], unreadable: [] } as never)
              : undefined,
          );
          // Refused or accepted, but judged: the schema never throws on what the flags made.
          expect(typeof VmCreateInput.safeParse(input).success).toBe('boolean');
        }),
      ),
      { numRuns: RUNS },
    );
  });

  it(`option values: ${RUNS} strings per parser give a value or a usage error`, () => {
    const text = fc.oneof(
      fc.constantFrom(...VALUES),
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(text, fc.boolean(), fc.boolean(), fc.boolean(), (value, windowed, fps, input) => {
        onlyUsageErrors(() => parseForward(value));
        onlyUsageErrors(() => parseGpuOption(value));
        onlyUsageErrors(() => parseDisplayOption(value, windowed, fps, input));
        onlyUsageErrors(() => parseUsbOption(value));
        onlyUsageErrors(() => parseAttributes([value, `${value}=${value}`]));
      }),
      { numRuns: RUNS },
    );
  });

  // The cases that exit 1 with node's words before main() called them usage errors, kept as plain checks.
  it('a flag without its value, a value given to a boolean flag, an unknown flag are usage errors', () => {
    for (const args of [['x', '--cpus'], ['x', '--json=yes'], ['x', '--nope'], ['--simulate']]) {
      let thrown: unknown;
      try {
        const { values, positionals } = parseCreateOptions(extractGlobalOptions(args).rest);
        createInputFromOptions(requireName(positionals, 'create'), values);
      } catch (error) {
        thrown = error;
      }
      expect(isUsage(thrown), args.join(' ')).toBe(true);
    }
  });
});
