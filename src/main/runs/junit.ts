import type { RunRecord, StepResult } from '../../shared/run-record';

/** Characters XML 1.0 cannot carry at all (§2.2 Char), dropped from output before escaping. */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

function escape(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** The step's captured output for `<system-out>`/`<system-err>`, given by the caller (read from the record). */
export type StepOutputs = Map<string, { stdout: string; stderr: string }>;

function testcase(run: RunRecord, step: StepResult, outputs: StepOutputs): string {
  const attrs = `name="${escape(step.name)}" classname="${escape(`tessera.${run.vm}`)}" time="${seconds(step.durationMs)}"`;
  const body: string[] = [];
  const message = escape(step.message ?? step.status);
  if (step.status === 'failed') body.push(`<failure message="${message}" type="failed"/>`);
  else if (step.status === 'timeout') body.push(`<failure message="${message}" type="timeout"/>`);
  else if (step.status === 'skipped') body.push(`<skipped message="${message}"/>`);
  const output = outputs.get(step.name);
  if (output?.stdout) body.push(`<system-out>${escape(output.stdout)}</system-out>`);
  if (output?.stderr) body.push(`<system-err>${escape(output.stderr)}</system-err>`);
  return body.length === 0
    ? `    <testcase ${attrs}/>`
    : `    <testcase ${attrs}>\n${body.map((b) => `      ${b}`).join('\n')}\n    </testcase>`;
}

/**
 * The run as JUnit XML, one testcase per step, in the shape CI systems read (the Ant JUnit
 * schema's testsuites/testsuite/testcase with failure and skipped; what deqp-runner writes).
 */
export function junitXml(run: RunRecord, outputs: StepOutputs): string {
  const failures = run.steps.filter((s) => s.status === 'failed' || s.status === 'timeout').length;
  const skipped = run.steps.filter((s) => s.status === 'skipped').length;
  const totalMs = run.steps.reduce((sum, s) => sum + s.durationMs, 0);
  const name = escape(run.label ? `${run.vm}: ${run.label}` : run.vm);
  const suite = [
    `  <testsuite name="${name}" id="${run.id}" tests="${run.steps.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(totalMs)}" timestamp="${run.startedAt.replace(/\.\d+Z$/, '')}" hostname="${escape(run.host.start?.host.simulated ? `simulated ${run.host.start.host.simulated.name}` : 'localhost')}">`,
    '    <properties>',
    `      <property name="tessera.run" value="${run.id}"/>`,
    `      <property name="tessera.status" value="${run.status}"/>`,
    `      <property name="tessera.transport" value="${run.transport ?? 'none'}"/>`,
    ...(run.problem ? [`      <property name="tessera.problem" value="${escape(run.problem)}"/>`] : []),
    '    </properties>',
    ...run.steps.map((s) => testcase(run, s, outputs)),
    '  </testsuite>',
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="tessera run ${run.id}" tests="${run.steps.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(totalMs)}">`,
    ...suite,
    '</testsuites>',
    '',
  ].join('\n');
}
