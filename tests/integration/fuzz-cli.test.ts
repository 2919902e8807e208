/**
 * Whole CLI commands under random and hostile argv (issue 14.4), in this process against a
 * backend that owns the control socket, as a user's shell reaches it. The words come from the
 * CLI's own usage text (every command and flag it lists) mixed with hostile strings. Whatever the
 * words: main() resolves, with 0, 1 (a command failed: one `tessera: …` line on stderr, no stack)
 * or 2 (a command line that is not one); nothing changes outside Tessera's own dirs but what a
 * command was asked to write into the scratch working dir. A few are run through bin/tessera.js
 * to check the process's exit code is main()'s.
 *
 * `serve` and `kiosk start` run until stopped, so argv that would start them is left out. The
 * backend's QEMU does not exist, so nothing a command starts can outlive the test.
 * FUZZ_RUNS=N runs N command lines instead of the default.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/main/cli/index';
import { extractGlobalOptions } from '../../src/main/cli/global-options';
import { openBackendLink, type BackendLink } from '../../src/main/server/backend-link';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { runCli } from '../support/cli-process';
import { changedPaths, snapshotTree } from '../support/helper-host';
import { makeTempHome, type TempHome } from '../support/temp-home';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const PROCESS_RUNS = 12;
const ANSWER_MS = 10_000;

let home: TempHome;
let link: BackendLink;
let scratch: string;
let hostTree: string;
let commands: string[][];
let flags: string[];
let values: string[];
const savedCwd = process.cwd();

/** What main() wrote and returned, stdout and stderr caught. */
async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      main(args),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no exit within ${ANSWER_MS} ms`)), ANSWER_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  home = makeTempHome('tessera-fuzz-cli-');
  hostTree = path.join(home.root, 'host');
  buildHostTree(findSimulatedHost('adl-p'), hostTree);
  // Relative paths in argv land here, two levels below the root, so `../..` stays inside it.
  scratch = path.join(home.root, 'work', 'here');
  fs.mkdirSync(scratch, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...home.env, TESSERA_HOST_ROOT: hostTree };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  // main() reads process.env, as a shell's tessera would its environment.
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  vi.stubEnv('DISPLAY', undefined);
  vi.stubEnv('WAYLAND_DISPLAY', undefined);
  link = await openBackendLink({
    env,
    accelerator: 'tcg',
    qemuBinary: path.join(home.root, 'no-bin', 'qemu-system-x86_64'),
    kioskCommand: ['/bin/false'],
  });
  if (!link.owner) throw new Error('another backend owns this test home');
  const seeded = await link.dispatcher.dispatch('vm.create', { name: 'keeper', memoryMiB: 128 });
  if (!seeded.ok) throw new Error(seeded.error.message);
  process.chdir(scratch);
  // Every command, subcommand and flag the usage text names: a column of the text that starts
  // with a word `tessera` takes as a command is a command's line.
  const usage = (await runMain(['--help'])).stdout;
  const columns = usage.split('\n').flatMap((line) => line.trim().split(/\s{2,}/));
  const firstWords = [
    ...new Set(columns.map((c) => /^[a-z][a-z-]*/.exec(c)?.[0]).filter((w) => w !== undefined)),
  ];
  const tops = new Set<string>();
  for (const candidate of firstWords) {
    const { stderr } = await runMain([candidate, '--no-such-flag']);
    if (!stderr.startsWith(`tessera: unknown command '${candidate}'`)) tops.add(candidate);
  }
  commands = [];
  for (const column of columns) {
    const words = column.split(' ');
    if (!tops.has(words[0] ?? '')) continue;
    let paths: string[][] = [[]];
    for (const word of words) {
      if (!/^[a-z][a-z0-9|-]*$/.test(word)) break;
      paths = paths.flatMap((p) => word.split('|').map((w) => [...p, w]));
    }
    commands.push(...paths);
  }
  flags = [...new Set(usage.match(/--[a-z][a-z0-9-]*/g) ?? [])];
  values = [...new Set(usage.split(/[\s|[\]]+/).filter((w) => /^[a-z0-9][a-z0-9@:._=-]*$/.test(w)))];
});

afterAll(async () => {
  process.chdir(savedCwd);
  vi.unstubAllEnvs();
  await link?.close();
  home?.cleanup();
});

function argvArbitrary(): fc.Arbitrary<string[]> {
  const hostile = [
    '',
    '-',
    '--',
    '..',
    '../..',
    'keeper',
    'nobody',
    'a\0b',
    '__proto__',
    'constructor',
    '=',
    '--=x',
    '-1',
    '1e999',
    '0000:00:02.0',
    'x'.repeat(5000),
    path.join(home.root, 'decoy'),
    path.join(hostTree, 'sys'),
    '/nonexistent/tessera-fuzz',
  ];
  const word = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...flags) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'keeper',
        'nobody',
        '0000:00:02.0',
        '0000:00:02.1',
        '2',
        'exec_quantum_ms=10',
      ),
    },
    { weight: 3, arbitrary: fc.constantFrom(...values) },
    { weight: 2, arbitrary: fc.constantFrom(...hostile) },
    fc
      .tuple(fc.constantFrom(...flags), fc.constantFrom(...hostile, ...values))
      .map(([flag, value]) => `${flag}=${value}`),
    fc.string({ maxLength: 12 }),
  );
  // Mostly a real command first, so the words after it reach that command's parser.
  const head = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...commands) },
    fc.array(fc.constantFrom(...values), { maxLength: 2 }),
  );
  return fc.tuple(head, fc.array(word, { maxLength: 5 })).map(([h, tail]) => [...h, ...tail]);
}

/** Commands that run until stopped (a server, the kiosk's watchdog) are not what this checks. */
function runsUntilStopped(args: string[]): boolean {
  let rest: string[];
  try {
    rest = extractGlobalOptions(args).rest;
  } catch {
    return false;
  }
  if (rest[0] === 'serve') return !rest.includes('--link') && !rest.includes('--revoke-sessions');
  return rest[0] === 'kiosk' && rest[1] === 'start';
}

function checkOutcome(args: string[], outcome: { code: number; stderr: string }): void {
  const what = `tessera ${args.map((a) => JSON.stringify(a).slice(0, 60)).join(' ')} → ${outcome.code}: ${outcome.stderr.slice(0, 300)}`;
  expect([0, 1, 2], what).toContain(outcome.code);
  expect(outcome.stderr, what).not.toMatch(/\n\s+at .+[(:]\d+/); // no stack trace
  if (outcome.code === 1) {
    const last = outcome.stderr.trimEnd().split('\n').at(-1) ?? '';
    // `doctor` and `run` exit 1 for a failed check or run, with their report on stdout.
    if (last !== '') expect(last, what).toMatch(/^tessera: \S/);
  }
  if (outcome.code === 2)
    expect(outcome.stderr === '' || outcome.stderr.startsWith('tessera: '), what).toBe(true);
}

const own = () => [home.paths.configDir, home.paths.dataDir, home.paths.runtimeDir];
const inside = (file: string, dir: string) => {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

describe('the CLI under random argv', () => {
  it(`${RUNS} command lines exit 0, 1 or 2 with one line of why, and write only their own`, async () => {
    const named = commands.map((c) => c.join(' '));
    expect(named).toEqual(
      expect.arrayContaining([
        'vm create',
        'gpu vfs',
        'booth reset-all',
        'kiosk autostart on',
        'run export',
        'vm usb detach',
      ]),
    );
    const before = snapshotTree(home.root);
    const codes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(argvArbitrary(), async (args) => {
        fc.pre(!runsUntilStopped(args));
        const outcome = await runMain(args);
        codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
        checkOutcome(args, outcome);
      }),
      { numRuns: RUNS, endOnFailure: process.env.FUZZ_SHRINK === undefined },
    );
    // The backend that owns the socket still answers.
    expect((await link.dispatcher.dispatch('vm.list', {})).ok).toBe(true); // keeper itself may be deleted by now
    const after = snapshotTree(home.root);
    const outside = changedPaths(before, after).filter((relative) => {
      const file = path.join(home.root, relative);
      return !(
        own().some((dir) => inside(file, dir)) ||
        inside(file, path.join(home.root, 'work')) || // what commands were told to write, relative
        inside(file, hostTree) || // gpu commands change the simulated host
        // kiosk autostart: the user unit and the XDG autostart entry (src/main/kiosk/autostart.ts)
        inside(file, path.join(home.root, 'config', 'systemd')) ||
        inside(file, path.join(home.root, 'config', 'autostart'))
      );
    });
    expect(outside).toEqual([]);
    console.log(`fuzz-cli: exit codes ${JSON.stringify(Object.fromEntries(codes))}`);
  });

  it(`command lines through bin/tessera.js exit with the documented code`, async () => {
    const known: [string[], number][] = [
      [[], 2],
      [['--help'], 0],
      [['no-such-command'], 2],
      [['vm', 'create'], 2],
      [['vm', 'list', '--nope'], 2],
      [['vm', 'log', 'keeper', '--lines'], 2],
      [['--simulate'], 2],
      // Not a word of argvArbitrary's: the fuzz before this may have created a VM called 'nobody'.
      [['vm', 'show', 'never-created'], 1],
      [['vm', 'start', 'keeper'], 1],
      [['vm', 'list', '--json'], 0],
    ];
    for (const [args, code] of known) {
      const child = await runCli(args, { ...process.env });
      expect(child.code, `tessera ${args.join(' ')}: ${child.stderr}`).toBe(code);
      checkOutcome(args, child);
    }
    const samples = fc.sample(
      argvArbitrary().filter((args) => !runsUntilStopped(args)),
      { numRuns: PROCESS_RUNS, seed: 14 },
    );
    for (const args of samples) checkOutcome(args, await runCli(args, { ...process.env }));
  });
});
