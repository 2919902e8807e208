import { z } from 'zod';

export const ErrorCode = z.enum([
  'BAD_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_STATE',
  'QEMU_MISSING',
  'QEMU_FAILED',
  'TIMEOUT',
  'IO',
  'UNAVAILABLE',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error that keeps its code across the wire: thrown by services, rethrown by clients. */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'TesseraError';
    this.code = code;
    this.details = details;
  }
  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** One line per zod issue, with the path the user wrote, e.g. `memoryMiB: memory must be at least 64 MiB`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
