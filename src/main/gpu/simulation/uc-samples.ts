/**
 * debugfs `uc/guc_info` and `uc/huc_info` text in the kernel's format (docs/sriov-sysfs.md#guc-and-huc-in-debugfs, from
 * `intel_guc_debugfs.c` → `intel_guc_load_status`, `intel_uc_fw_dump`, `intel_huc.c`). Register values
 * and byte counts are illustrative; the shape and order are the kernel's.
 */

export type UcSample =
  | {
      firmware: string;
      status: string;
      version: string;
      /** Set when the driver wanted a newer firmware than it found: `wanted X, found Y`. */
      wanted?: string;
      /** GuC only: the CT and submission blocks are printed only when GuC submission is used. */
      submission?: boolean;
    }
  /** An early-out line alone (`GuC disabled`). */
  | { earlyOut: string };

function firmwareDump(kind: 'GuC' | 'HuC', sample: Extract<UcSample, { firmware: string }>): string[] {
  return [
    `${kind} firmware: ${sample.firmware}`,
    `\tstatus: ${sample.status}`,
    sample.wanted === undefined
      ? `\tversion: found ${sample.version}`
      : `\tversion: wanted ${sample.wanted}, found ${sample.version}`,
    `\tuCode: ${kind === 'GuC' ? 339264 : 589568} bytes`,
    `\tRSA: ${kind === 'GuC' ? 384 : 256} bytes`,
  ];
}

export function gucInfoText(sample: UcSample): string {
  if ('earlyOut' in sample) return `${sample.earlyOut}\n`;
  const lines = [
    ...firmwareDump('GuC', sample),
    'GuC status 0x8002f0ec:',
    '\tBootrom status = 0x76',
    '\tuKernel status = 0xf0',
    '\tMIA Core status = 0x3',
    'Scratch registers:',
    ...Array.from({ length: 16 }, (_, i) => `\t${String(i).padStart(2)}: \t0x${i === 0 ? 'f0000000' : '0'}`),
    '',
    'GuC log relay not created',
  ];
  if (sample.submission) {
    lines.push(
      'CT enabled',
      'H2G Space: 16320',
      'Head: 84',
      'Tail: 84',
      'G2H Space: 65280',
      'Head: 208',
      'Tail: 208',
      'GuC Submission API Version: 1.1.0',
      'GuC Number Outstanding Submission G2H: 0',
      'GuC tasklet count: 0',
      'Requests in GuC submit tasklet:',
    );
  }
  return lines.join('\n') + '\n';
}

export function hucInfoText(sample: UcSample): string {
  if ('earlyOut' in sample) return `${sample.earlyOut}\n`;
  return [...firmwareDump('HuC', sample), 'HuC status: 0x00090001'].join('\n') + '\n';
}
