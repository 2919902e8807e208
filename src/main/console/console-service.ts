import { randomBytes } from 'node:crypto';
import { TesseraError } from '../../shared/errors';
import { vmRuntimeFiles, type TesseraPaths } from '../paths';
import type { VmService } from '../vm/vm-service';

export type ConsoleKind = 'vnc' | 'spice' | 'serial' | 'monitor';

interface Grant {
  id: string;
  kind: ConsoleKind;
  socketPath: string;
  expires: number;
}

/** An unused token dies quickly: it only has to survive the page opening its WebSocket. */
export const CONSOLE_TOKEN_TTL_MS = 10_000;

/**
 * Console bytes skip the RPC (DESIGN.md): a call hands out a one-time token, and the bridge
 * trades it for one connection to one VM's socket. A token is gone once used or expired.
 */
export class ConsoleService {
  private readonly grants = new Map<string, Grant>();

  constructor(
    private readonly paths: TesseraPaths,
    private readonly vms: VmService,
    private readonly now: () => number = Date.now,
  ) {}

  async open(id: string, kind: ConsoleKind): Promise<{ token: string; path: string }> {
    const vm = await this.vms.get(id);
    if (vm.state === 'stopped' || vm.state === 'crashed') {
      throw new TesseraError('INVALID_STATE', `VM '${id}' is not running`);
    }
    if (kind === 'vnc' && vm.spec.display !== 'vnc') {
      throw new TesseraError(
        'INVALID_STATE',
        `VM '${id}' has no VNC display (display is '${vm.spec.display}')`,
      );
    }
    this.sweep();
    const files = vmRuntimeFiles(this.paths.runtimeDir, id);
    const token = randomBytes(24).toString('base64url');
    this.grants.set(token, {
      id,
      kind,
      socketPath: kind === 'vnc' ? files.vnc : files.serial,
      expires: this.now() + CONSOLE_TOKEN_TTL_MS,
    });
    return { token, path: `/console/${token}` };
  }

  /** Use a token: the grant when it is valid, undefined when wrong, used or expired. */
  redeem(token: string): Grant | undefined {
    const grant = this.grants.get(token);
    this.grants.delete(token);
    if (!grant || grant.expires < this.now()) return undefined;
    return grant;
  }

  close(): void {
    this.grants.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, grant] of this.grants) if (grant.expires < now) this.grants.delete(token);
  }
}
