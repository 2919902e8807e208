import { UsageError } from './parse-options';

/** Options of every command: which host to read. */
export interface GlobalOptions {
  hostRoot?: string;
  simulate?: string;
}

const GLOBAL_FLAGS = { '--host-root': 'hostRoot', '--simulate': 'simulate' } as const;

/**
 * Take `--host-root DIR` and `--simulate NAME` (or `--flag=value`) from anywhere before `--`, so
 * `tessera --simulate adl-p doctor` and `tessera doctor --simulate adl-p` mean the same.
 */
export function extractGlobalOptions(argv: string[]): { options: GlobalOptions; rest: string[] } {
  const options: GlobalOptions = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    if (!Object.hasOwn(GLOBAL_FLAGS, flag)) {
      rest.push(arg);
      continue;
    }
    const key = GLOBAL_FLAGS[flag as keyof typeof GLOBAL_FLAGS];
    const value = inline ?? argv[++i];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(
        `${flag} needs a value: ${flag === '--simulate' ? '--simulate NAME' : '--host-root DIR'}`,
      );
    }
    if (options[key] !== undefined) throw new UsageError(`${flag} is given twice`);
    options[key] = value;
  }
  return { options, rest };
}
