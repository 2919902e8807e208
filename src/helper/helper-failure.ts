import type { HelperErrorCode } from '../shared/helper-plan';

/** Why the helper stops: found while checking the plan (nothing written) or answered by the kernel. */
export class HelperFailure extends Error {
  readonly code: HelperErrorCode;
  readonly step: number | null;
  readonly errno: string | undefined;
  constructor(code: HelperErrorCode, message: string, step: number | null, errno?: string) {
    super(message);
    this.code = code;
    this.step = step;
    this.errno = errno;
  }
}
