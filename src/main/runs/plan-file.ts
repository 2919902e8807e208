import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { TesseraError } from '../../shared/errors';
import { RunPlan } from '../../shared/run-plan';

/** One thing wrong with a plan, where it is: `plan.yaml:7: steps[2].timeoutS: a timeout is ...`. */
export interface PlanProblem {
  line: number | null;
  field: string;
  message: string;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) =>
      typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`,
    '',
  );
}

/** The line of the deepest node along `path` that the document has (the field, else its step). */
function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | null {
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth).map((k) => (typeof k === 'symbol' ? String(k) : k));
    const node = doc.getIn(keys, true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return null;
}

/**
 * A plan from its text. YAML (of which JSON is a subset, so one parser serves both and reports
 * the same lines), then the contract's schema; every problem comes back with its line and field.
 */
export function parsePlan(text: string, source: string): RunPlan {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const problems: PlanProblem[] = doc.errors.map((e) => ({
    line: e.linePos?.[0].line ?? counter.linePos(e.pos[0]).line,
    field: '',
    message: e.message.split('\n')[0] ?? e.message,
  }));
  let value: unknown;
  try {
    if (problems.length === 0) value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias to an anchor that is not there (`*x`), or too many aliases: toJS throws instead
    // of listing it in doc.errors (found by tests/integration/fuzz-rpc.test.ts).
    problems.push({ line: null, field: '', message: (error as Error).message });
  }
  if (problems.length === 0) {
    const parsed = RunPlan.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      problems.push({
        line: lineOf(doc, counter, issue.path),
        field: fieldName(issue.path),
        message: issue.message,
      });
    }
  }
  throw new TesseraError('BAD_INPUT', formatPlanProblems(source, problems), { problems });
}

export function formatPlanProblems(source: string, problems: PlanProblem[]): string {
  return problems
    .map(
      (p) => `${source}${p.line !== null ? `:${p.line}` : ''}: ${p.field ? `${p.field}: ` : ''}${p.message}`,
    )
    .join('; ');
}
