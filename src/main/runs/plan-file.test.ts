import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../../shared/errors';
import { parsePlan } from './plan-file';

function problem(text: string): string {
  try {
    parsePlan(text, 'plan.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(TesseraError);
    return (error as TesseraError).message;
  }
  throw new Error('the plan was accepted');
}

describe('parsePlan', () => {
  it("reads the issue's JSON shape, so plans written today keep working", () => {
    const plan = parsePlan(
      JSON.stringify({
        version: 1,
        steps: [
          {
            name: 'kernel',
            exec: 'uname -r',
            timeoutS: 30,
            expectExit: 0,
            mustMatch: '^6\\.',
            mustNotMatch: 'error',
            required: true,
          },
        ],
      }),
      'plan.json',
    );
    expect(plan.steps[0]).toEqual({
      kind: 'exec',
      name: 'kernel',
      exec: 'uname -r',
      timeoutS: 30,
      expectExit: 0,
      mustMatch: '^6\\.',
      mustNotMatch: 'error',
      required: true,
    });
    expect(plan.transport).toBe('auto');
  });

  it('reads YAML with every kind and fills defaults', () => {
    const plan = parsePlan(
      'version: 1\nsteps:\n  - name: ready\n    wait-serial: READY\n  - {name: os, probe: os-release}\n  - {name: nap, sleep: 0.5}\n  - {name: x, exec: "true"}\n',
      'p.yaml',
    );
    expect(plan.steps.map((s) => s.kind)).toEqual(['wait-serial', 'probe', 'sleep', 'exec']);
    expect(plan.steps[3]).toMatchObject({ timeoutS: 60, expectExit: 0, required: false });
  });

  it('refuses an unknown step with its line', () => {
    expect(problem('version: 1\nsteps:\n  - name: a\n    exec: "true"\n  - name: b\n    reboot: now\n')).toBe(
      'plan.yaml:5: steps[1]: unknown step: it needs exactly one of exec, wait-serial, probe, sleep',
    );
  });

  it('refuses a bad regex at its field and line', () => {
    expect(
      problem('version: 1\nsteps:\n  - name: a\n    exec: "true"\n    mustMatch: "(unclosed"\n'),
    ).toMatch(/^plan\.yaml:5: steps\[0\]\.mustMatch: not a valid regular expression: /);
  });

  it('refuses a negative timeout, an unknown field and an unknown probe, each with line and field', () => {
    const message = problem(
      'version: 1\nsteps:\n  - name: a\n    exec: "true"\n    timeoutS: -1\n  - name: b\n    probe: gpu-top\n  - name: c\n    sleep: 1\n    colour: red\n',
    );
    expect(message).toContain('plan.yaml:5: steps[0].timeoutS: a timeout is a positive number of seconds');
    expect(message).toContain('plan.yaml:7: steps[1].probe: a probe is one of uname, lspci');
    expect(message).toContain("plan.yaml:10: steps[2].colour: 'colour' is not a field of a sleep step");
  });

  it('refuses YAML that does not parse, a wrong version, duplicate names', () => {
    expect(problem('version: 1\nsteps: [\n')).toMatch(/^plan\.yaml:\d+: /);
    expect(problem('version: 2\nsteps:\n  - {name: a, sleep: 1}\n')).toBe(
      'plan.yaml:1: version: this Tessera reads plans of version 1',
    );
    expect(problem('version: 1\nsteps:\n  - {name: a, sleep: 1}\n  - {name: a, sleep: 1}\n')).toBe(
      "plan.yaml:4: steps[1].name: two steps are named 'a'",
    );
  });

  // Shrunk from tests/integration/fuzz-rpc.test.ts: the YAML library throws these from toJS.
  it('refuses an alias without its anchor, and an alias bomb, as bad input', () => {
    expect(problem('*Pko')).toMatch(/^plan\.yaml: Unresolved alias/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(10)
          .fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`)
          .join(', ')}]`,
      );
    expect(problem(bomb.join('\n'))).toMatch(/^plan\.yaml: Excessive alias count/);
  });

  it('accepts the sample plan shipped in the repository', () => {
    const file = path.join(
      import.meta.dirname,
      '..',
      '..',
      '..',
      'resources',
      'plans',
      'gpu-guest-smoke.yaml',
    );
    const plan = parsePlan(fs.readFileSync(file, 'utf8'), file);
    expect(plan.steps.length).toBeGreaterThan(5);
  });
});
