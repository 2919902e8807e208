import type { CheckId, CheckStatus, DoctorCheck } from '../../../shared/host-report';
import type { Gpu } from '../../../shared/gpu-inventory';
import { kernelParam } from '../kernel-facts';

export interface CheckFields {
  status: CheckStatus;
  summary: string;
  fix?: string | null;
  commands?: string[];
  applies?: boolean;
  device?: string | null;
}

export function makeCheck(
  id: CheckId,
  title: string,
  source: DoctorCheck['source'],
  fields: CheckFields,
): DoctorCheck {
  return {
    id,
    title,
    status: fields.status,
    summary: fields.summary,
    fix: fields.fix ?? null,
    commands: fields.commands ?? [],
    applies: fields.applies ?? true,
    source,
    device: fields.device ?? null,
  };
}

/**
 * How to put `params` on the kernel command line on Debian and Ubuntu (GRUB): a parameter that is
 * there with another value is replaced, a missing one is added to GRUB_CMDLINE_LINUX_DEFAULT.
 */
export function kernelParamFix(
  cmdline: string | null,
  params: string[],
): { fix: string; commands: string[] } {
  const edits = params.map((param) => {
    const key = param.split('=', 1)[0] ?? param;
    const escaped = key.replace(/\./g, '\\.');
    return kernelParam(cmdline, key) !== undefined
      ? `sudo sed -i 's/${escaped}=[^ "]*/${param}/' /etc/default/grub`
      : `sudo sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT="/&${param} /' /etc/default/grub`;
  });
  return {
    fix: `Add ${params.join(' ')} to the kernel command line (GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub), then reboot.`,
    commands: [...edits, 'sudo update-grub', 'sudo reboot'],
  };
}

export function describeGpu(gpu: Gpu): string {
  return `${gpu.name} at ${gpu.address}`;
}
