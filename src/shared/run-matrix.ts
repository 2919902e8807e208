/**
 * A run matrix (issue 12): one plan run on one VM once per combination of the values of each
 * `--vary` axis, one after another. Pure: the CLI, the backend and the Runs page read the same
 * axes, expansion and record.
 */
import { z } from 'zod';
import { VfShare } from './gpu-plan';
import { ImageName } from './images';
import { RunId, RunStatus, StepStatus } from './run-record';
import { VmName } from './vm-spec';

/**
 * What an axis varies. `preset`: the GPU layout preset (gpu-shares.ts `presetShares`) applied to
 * the PF of the VM's VF, through the GPU service, before the combination's run. `image`: the
 * golden image a fresh overlay of which is the VM's boot disk (its first disk, or the disk it is
 * bound on) for that run only.
 */
export const MATRIX_AXES = ['preset', 'image'] as const;
export type MatrixAxisName = (typeof MATRIX_AXES)[number];
export const MATRIX_PRESETS = ['fair', 'one-big'] as const;
/** A matrix past this many runs is more likely a typo than a plan (each run boots the VM). */
export const MAX_COMBINATIONS = 64;

const AxisValue: Record<MatrixAxisName, z.ZodType<string>> = {
  preset: z.enum(MATRIX_PRESETS, { error: `a preset is one of ${MATRIX_PRESETS.join(', ')}` }),
  image: ImageName,
};

export const MatrixAxis = z
  .object({
    axis: z.enum(MATRIX_AXES, {
      error: (issue) =>
        `'${String(issue.input)}' is not an axis a matrix can vary: the axes are ${MATRIX_AXES.join(', ')}`,
    }),
    values: z.array(z.string()).min(1, { error: 'an axis needs at least one value' }).max(MAX_COMBINATIONS),
  })
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    a.values.forEach((value, i) => {
      const parsed = AxisValue[a.axis].safeParse(value);
      if (!parsed.success)
        ctx.addIssue({
          code: 'custom',
          path: ['values', i],
          message: `${a.axis} '${value}': ${parsed.error.issues[0]?.message ?? 'not a value of this axis'}`,
        });
      if (seen.has(value))
        ctx.addIssue({ code: 'custom', path: ['values', i], message: `${a.axis} '${value}' is given twice` });
      seen.add(value);
    });
  });
export type MatrixAxis = z.infer<typeof MatrixAxis>;

export const MatrixAxes = z
  .array(MatrixAxis)
  .min(1, { error: 'a matrix varies at least one axis (--vary preset=fair,one-big)' })
  .superRefine((axes, ctx) => {
    const names = axes.map((a) => a.axis);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i)
        ctx.addIssue({ code: 'custom', path: [i, 'axis'], message: `the axis ${name} is varied twice` });
    });
    const count = axes.reduce((n, a) => n * a.values.length, 1);
    if (count > MAX_COMBINATIONS)
      ctx.addIssue({
        code: 'custom',
        message: `${count} combinations: a matrix runs at most ${MAX_COMBINATIONS}`,
      });
  });

/**
 * `preset=fair,one-big` as the CLI takes it; throws an Error that says what is wrong (an unknown
 * axis is refused by MatrixAxes with the list of known ones).
 */
export function parseVary(text: string): { axis: string; values: string[] } {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new Error(`--vary ${text}: give AXIS=VALUE,VALUE (the axes are ${MATRIX_AXES.join(', ')})`);
  const values = text
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim());
  if (values.every((v) => v === ''))
    throw new Error(`--vary ${text}: the list of values is empty; give at least one after '='`);
  if (values.includes('')) throw new Error(`--vary ${text}: an empty value between commas`);
  return { axis: text.slice(0, eq).trim(), values };
}

/** One combination: a value for each axis, in the order the axes were given. */
export type MatrixValues = Partial<Record<MatrixAxisName, string>>;

/** Every combination, the first axis varying slowest (as nested loops in the order given). */
export function expandMatrix(axes: MatrixAxis[]): MatrixValues[] {
  return axes.reduce<MatrixValues[]>(
    (combinations, { axis, values }) =>
      combinations.flatMap((c) => values.map((value) => ({ ...c, [axis]: value }))),
    [{}],
  );
}

/** `preset=fair image=A`, the way a cell is named in tables and labels. */
export function valuesText(values: MatrixValues): string {
  return MATRIX_AXES.filter((a) => values[a] !== undefined)
    .map((a) => `${a}=${values[a]}`)
    .join(' ');
}

export const MatrixId = RunId;

export const MatrixCell = z.object({
  values: z.partialRecord(z.enum(MATRIX_AXES), z.string()),
  /** `pending` until its turn; `error` when its setup (the preset, the overlay, the start) was refused. */
  status: z.union([RunStatus, z.enum(['pending', 'error', 'skipped'])]),
  runId: RunId.nullable(),
  /** Why it is `error` or `skipped`. */
  message: z.string().nullable(),
  steps: z.array(z.object({ name: z.string(), status: StepStatus })),
});
export type MatrixCell = z.infer<typeof MatrixCell>;

export const MATRIX_SCHEMA_VERSION = 1;

export const MatrixRecord = z.object({
  schemaVersion: z.literal(MATRIX_SCHEMA_VERSION),
  id: MatrixId,
  label: z.string().nullable(),
  vm: VmName,
  status: z.enum(['running', 'passed', 'failed', 'interrupted']),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  backendPid: z.int(),
  plan: z.object({ source: z.string(), sha256: z.string(), steps: z.array(z.string()) }),
  axes: z.array(MatrixAxis),
  cells: z.array(MatrixCell),
  /**
   * The GPU layout a preset axis changes: the PF, the VF shares it had before the matrix, and
   * what became of them. A finished matrix puts them back; an interrupted one leaves the last
   * preset applied, and `note` says which.
   */
  gpu: z
    .object({
      pf: z.string(),
      vfCount: z.int(),
      sharesBefore: z.array(VfShare),
      restored: z.boolean(),
    })
    .nullable(),
  /** What the matrix changes outside its runs and how it leaves them (the VM definition, the GPU layout). */
  note: z.string(),
});
export type MatrixRecord = z.infer<typeof MatrixRecord>;
