import { z } from 'zod';
import { TesseraError, type ErrorCode } from '../../../shared/errors';

/** One problem with one input field; `path` as in the call's input (`['disks', 0, 'path']`). */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

/** A failed call as the UI shows it: the code decides the wording, issues go next to their fields. */
export interface Failure {
  code: ErrorCode | 'UNKNOWN';
  message: string;
  issues: FieldIssue[];
}

const Issue = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
// Zod failures arrive with the issues themselves as details; services may wrap them in { issues }.
const IssueDetails = z.union([
  z.array(Issue),
  z.object({ issues: z.array(Issue) }).transform((d) => d.issues),
]);

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function failureOf(error: unknown): Failure {
  if (!(error instanceof TesseraError)) return { code: 'UNKNOWN', message: messageOf(error), issues: [] };
  const issues = IssueDetails.safeParse(error.details);
  return { code: error.code, message: error.message, issues: issues.success ? issues.data : [] };
}
