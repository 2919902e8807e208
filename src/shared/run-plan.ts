/**
 * A driver-validation plan (issue 12): `{"version": 1, "steps": [...]}`, each step with a `name`
 * and exactly one kind (`exec`, `wait-serial`, `probe`, `sleep`). Plans written today must keep
 * working, so version 1's fields only ever gain optional siblings.
 */
import { z } from 'zod';

/** Most a step keeps of each of its stdout and stderr; the rest is cut and the step marked truncated. */
export const STEP_OUTPUT_LIMIT_BYTES = 4 * 1024 * 1024;

/** The built-in collectors (src/main/runs/probes.ts has their guest commands). */
export const PROBES = [
  'uname',
  'lspci',
  'dmesg-gpu',
  'uc-info',
  'vainfo',
  'clinfo',
  'glxinfo',
  'os-release',
] as const;
export const ProbeName = z.enum(PROBES, {
  error: `a probe is one of ${PROBES.join(', ')}`,
});
export type ProbeName = z.infer<typeof ProbeName>;

const Regex = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source, 'm');
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
});

const Seconds = z
  .number({ error: 'a number of seconds' })
  .positive({ error: 'a timeout is a positive number of seconds' })
  .max(86400, { error: 'at most 86400 s (a day)' });

const StepBase = {
  name: z
    .string({ error: 'every step has a name' })
    .min(1, { error: 'every step has a name' })
    .max(200)
    .regex(/^[^\n\r]*$/, { error: 'a step name is one line' }),
  /** A required step that fails skips every later step (and says so). */
  required: z.boolean().default(false),
};

export const ExecStep = z.strictObject({
  ...StepBase,
  /** A shell command line, run with `sh -c` in the guest. */
  exec: z.string().min(1, { error: 'the command is empty' }),
  timeoutS: Seconds.default(60),
  expectExit: z.int({ error: 'an exit code is a whole number 0-255' }).min(0).max(255).default(0),
  /** Must appear in stdout (multi-line mode: `^` and `$` match at line ends). */
  mustMatch: Regex.optional(),
  /** Must not appear in stdout or stderr. */
  mustNotMatch: Regex.optional(),
});

export const WaitSerialStep = z.strictObject({
  ...StepBase,
  /** Text to wait for on the serial console (during the VM's current run). */
  'wait-serial': z.string().min(1, { error: 'the text to wait for is empty' }),
  timeoutS: Seconds.default(60),
});

export const ProbeStep = z.strictObject({
  ...StepBase,
  probe: ProbeName,
  timeoutS: Seconds.default(60),
});

export const SleepStep = z.strictObject({
  ...StepBase,
  /** Seconds to wait. */
  sleep: Seconds,
});

const KINDS = ['exec', 'wait-serial', 'probe', 'sleep'] as const;
export type StepKind = (typeof KINDS)[number];

/**
 * A step is told apart by which kind's key it has; with none or two, or a key no kind has, the
 * error names the step's fields rather than zod's union noise.
 */
export const PlanStep = z.unknown().transform((value, ctx) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `a step is an object with a name and one of ${KINDS.join(', ')}`,
    });
    return z.NEVER;
  }
  const kinds = KINDS.filter((k) => k in value);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message:
        kinds.length === 0
          ? `unknown step: it needs exactly one of ${KINDS.join(', ')}`
          : `a step has one kind, this one has ${kinds.join(' and ')}`,
    });
    return z.NEVER;
  }
  const kind = kinds[0] as StepKind;
  // A parsed step carries its kind (records keep plans parsed); it must agree with the key.
  const { kind: stated, ...fields } = value as Record<string, unknown>;
  if (stated !== undefined && stated !== kind) {
    ctx.addIssue({
      code: 'custom',
      path: ['kind'],
      message: `this step is a ${kind} step, not ${String(stated)}`,
    });
    return z.NEVER;
  }
  const schema =
    kind === 'exec'
      ? ExecStep
      : kind === 'wait-serial'
        ? WaitSerialStep
        : kind === 'probe'
          ? ProbeStep
          : SleepStep;
  const parsed = schema.safeParse(fields);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      if (unknownKeys.length > 0) {
        for (const key of unknownKeys)
          ctx.addIssue({ code: 'custom', path: [key], message: `'${key}' is not a field of a ${kind} step` });
      } else
        ctx.addIssue({ code: 'custom', path: issue.path as (string | number)[], message: issue.message });
    }
    return z.NEVER;
  }
  return { kind, ...parsed.data } as PlanStepOf;
});

type PlanStepOf =
  | ({ kind: 'exec' } & z.infer<typeof ExecStep>)
  | ({ kind: 'wait-serial' } & z.infer<typeof WaitSerialStep>)
  | ({ kind: 'probe' } & z.infer<typeof ProbeStep>)
  | ({ kind: 'sleep' } & z.infer<typeof SleepStep>);
export type PlanStep = PlanStepOf;

export const RunTransport = z.enum(['serial', 'guest-agent']);
export type RunTransport = z.infer<typeof RunTransport>;

export const RunPlan = z
  .strictObject({
    version: z.literal(1, { error: 'this Tessera reads plans of version 1' }),
    /**
     * `auto`: the QEMU guest agent when the VM has its channel and the agent answers, else the
     * serial console. `guest-agent` adds the channel to the VM's definition when it lacks one.
     */
    transport: z.enum(['auto', 'serial', 'guest-agent']).default('auto'),
    /** How long the guest may take to answer on the chosen transport after the VM starts. */
    readyTimeoutS: Seconds.default(300),
    steps: z.array(PlanStep).min(1, { error: 'a plan has at least one step' }).max(1000),
  })
  .superRefine((plan, ctx) => {
    const seen = new Set<string>();
    plan.steps.forEach((step, i) => {
      if (seen.has(step.name))
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'name'],
          message: `two steps are named '${step.name}'`,
        });
      seen.add(step.name);
    });
  });
export type RunPlan = z.infer<typeof RunPlan>;
export type RunPlanInput = z.input<typeof RunPlan>;
