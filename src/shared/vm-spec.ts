import { z } from 'zod';

/** A VM's name is also its id and the name of its definition file, so it must be a safe file name. */
export const VM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;

export const VmName = z.string().regex(VM_NAME_PATTERN, {
  error:
    'a VM name is 1 to 48 letters, digits, ".", "_" or "-", starting with a letter or digit, because it names the definition file',
});

export const VM_LIMITS = {
  cpusMin: 1,
  cpusMax: 64,
  memoryMiBMin: 64,
  memoryMiBMax: 1024 * 1024,
  disksMax: 8,
  forwardsMax: 32,
} as const;

export const DiskFormat = z.enum(['qcow2', 'raw']);

export const DiskSpec = z.object({
  path: z.string().min(1, { error: 'a disk needs a path' }),
  format: DiskFormat.default('qcow2'),
  readOnly: z.boolean().default(false),
});

export const PortForward = z.object({
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  /** Loopback by default: a forwarded guest port should not be exposed to the network unless asked. */
  hostAddress: z.union([z.literal('127.0.0.1'), z.literal('0.0.0.0')]).default('127.0.0.1'),
  hostPort: z.int().min(1).max(65535),
  guestPort: z.int().min(1).max(65535),
});

export const KernelBoot = z.object({
  path: z.string().min(1),
  initrd: z.string().min(1).optional(),
  append: z.string().max(4096).optional(),
});

export const Firmware = z.enum(['bios', 'uefi']);
export const Vga = z.enum(['std', 'virtio', 'none']);
export const Display = z.enum(['vnc', 'spice', 'none']);
export const RestartPolicy = z.enum(['never', 'on-crash', 'always']);

/** Fields a user sets; the stored definition adds identity (VmSpec). */
export const VmConfig = z.object({
  cpus: z
    .int({ error: 'vCPUs must be a whole number' })
    .min(VM_LIMITS.cpusMin, { error: `a VM needs at least ${VM_LIMITS.cpusMin} vCPU` })
    .max(VM_LIMITS.cpusMax, { error: `at most ${VM_LIMITS.cpusMax} vCPUs` })
    .default(1),
  memoryMiB: z
    .int({ error: 'memory must be a whole number of MiB' })
    .min(VM_LIMITS.memoryMiBMin, { error: `memory must be at least ${VM_LIMITS.memoryMiBMin} MiB` })
    .max(VM_LIMITS.memoryMiBMax, { error: `memory must be at most ${VM_LIMITS.memoryMiBMax} MiB` })
    .default(1024),
  firmware: Firmware.default('bios'),
  disks: z.array(DiskSpec).max(VM_LIMITS.disksMax).default([]),
  cdrom: z.string().min(1).optional(),
  kernel: KernelBoot.optional(),
  network: z
    .object({
      mode: z.enum(['user', 'none']).default('user'),
      forwards: z.array(PortForward).max(VM_LIMITS.forwardsMax).default([]),
    })
    .default({ mode: 'user', forwards: [] }),
  vga: Vga.default('std'),
  display: Display.default('vnc'),
  restartPolicy: RestartPolicy.default('never'),
});

export const VmSpec = VmConfig.extend({
  name: VmName,
  uuid: z.uuid(),
  createdAt: z.iso.datetime(),
});

export const VmCreateInput = VmConfig.extend({ name: VmName });

export type VmSpec = z.infer<typeof VmSpec>;
export type VmConfig = z.infer<typeof VmConfig>;
export type VmCreateInput = z.input<typeof VmCreateInput>;
export type DiskSpec = z.infer<typeof DiskSpec>;
export type PortForward = z.infer<typeof PortForward>;
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const VmState = z.enum(['stopped', 'starting', 'running', 'paused', 'stopping', 'crashed']);
export type VmState = z.infer<typeof VmState>;

export const VmInfo = z.object({
  id: VmName,
  spec: VmSpec,
  state: VmState,
  pid: z.int().positive().optional(),
  /** When the VM entered its current state (ISO time). */
  since: z.iso.datetime(),
  restarts: z.int().min(0),
  /** Why the last run ended badly, with the tail of QEMU's log. */
  lastError: z.object({ message: z.string(), logTail: z.array(z.string()) }).optional(),
});
export type VmInfo = z.infer<typeof VmInfo>;

export const InvalidDefinition = z.object({
  file: z.string(),
  reason: z.string(),
});
export type InvalidDefinition = z.infer<typeof InvalidDefinition>;
