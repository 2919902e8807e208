#!/bin/sh
# VM 'win11', exported by Tessera: what Tessera does to start it, as one script.
# Run it as the user the VM belongs to (QEMU never runs as root); each step says what it
# changes. The GPU steps write to sysfs as you: export with --sudo to have them use sudo.
# TESSERA_HOST_ROOT=DIR runs the sysfs steps on a copy of a host under DIR (with
# TESSERA_KERNEL_WRITER=PROGRAM making each write as the kernel would); TESSERA_QEMU=PROGRAM
# runs another QEMU binary.
set -eu

ROOT=${TESSERA_HOST_ROOT:-}

die() {
  printf 'tessera script: %s\n' "$*" >&2
  exit 1
}

# Write one sysfs attribute as one write(2), as the helper does; an empty value clears it with a
# newline (driver_override: drivers/pci/pci-sysfs.c, driver_override_store).
sysfs_write() {
  if [ -n "$2" ]; then printf '%s' "$2"; else printf '\n'; fi | write_file "$ROOT$1" ||
    die "writing $1 failed (the kernel log, dmesg, says why)"
}

write_file() {
  if [ -n "${TESSERA_KERNEL_WRITER:-}" ]; then
    "$TESSERA_KERNEL_WRITER" "$1"
  else
    cat >"$1"
  fi
}

# The driver a PCI function is bound to, empty when none (its driver link: drivers/base/dd.c,
# driver_sysfs_add).
driver_of() {
  link=$(readlink "$ROOT/sys/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
  basename "$link"
}

# The driver_override, empty when unset ("(null)": drivers/pci/pci-sysfs.c, driver_override_show).
override_of() {
  value=$(cat "$ROOT/sys/bus/pci/devices/$1/driver_override" 2>/dev/null) || return 0
  [ "$value" = "(null)" ] || printf '%s' "$value"
}

# Move a device to a driver (empty: none) libvirt's way, as the helper's bind step does (libvirt's
# virPCIDeviceBindWithDriverOverride in src/util/virpci.c):
# the override first, then unbind, then drivers_probe, whose answer is read back.
move_device() {
  [ -e "$ROOT/sys/bus/pci/devices/$1" ] || die "there is no device $1 on this host"
  now=$(driver_of "$1")
  [ "$now" = "$2" ] && [ "$(override_of "$1")" = "$3" ] && return 0
  sysfs_write "/sys/bus/pci/devices/$1/driver_override" "$3"
  if [ -n "$now" ] && [ "$now" != "$2" ]; then
    sysfs_write "/sys/bus/pci/drivers/$now/unbind" "$1"
  fi
  [ -z "$2" ] && return 0
  [ "$(driver_of "$1")" = "$2" ] && return 0
  sysfs_write /sys/bus/pci/drivers_probe "$1"
  [ "$(driver_of "$1")" = "$2" ] || die "$2 did not take $1 (the kernel log, dmesg, says why)"
}

# The host GPU driver of a VF's PF (i915 or xe): what "back to the host" means for it.
host_driver_of_pf() {
  pf=$(basename "$(readlink "$ROOT/sys/bus/pci/devices/$1/physfn")")
  driver=$(driver_of "$pf")
  case "$driver" in
    i915 | xe) printf '%s' "$driver" ;;
    *) die "$pf is on '$driver', not i915 or xe" ;;
  esac
}

# Give the user the device's /dev/vfio group, as the helper's grant-vfio step: the kernel makes it
# root:root 0600 (drivers/vfio/group.c), and every device in the group must be on vfio-pci or on no
# driver for QEMU to use it.
grant_vfio() {
  group=$(basename "$(readlink "$ROOT$1/iommu_group")") || die "$1 has no IOMMU group"
  for member in "$ROOT/sys/kernel/iommu_groups/$group/devices"/*; do
    other=$(basename "$member")
    case "$other" in *:*) ;; *) continue ;; esac
    driver=$(driver_of "$other")
    [ -z "$driver" ] || [ "$driver" = vfio-pci ] ||
      die "group $group is not viable: $other is on $driver; put it on vfio-pci too"
  done
  node="$ROOT/dev/vfio/$group"
  [ -e "$node" ] || die "/dev/vfio/$group is missing"
  [ "$(stat -c %u "$node")" = "$(id -u)" ] || chown "$(id -u)" "$node"
}

QEMU=${TESSERA_QEMU:-/usr/bin/qemu-system-x86_64}
[ -n "$ROOT" ] || [ "$(id -u)" != 0 ] ||
  die "run this as the VM's user, not as root: QEMU never runs as root (export with --sudo for the GPU steps)"

# The GPU slice, as Tessera’s lease takes it at start (src/main/vm/gpu-leases.ts).
[ -e "$ROOT/sys/bus/pci/devices/0000:00:02.2/physfn" ] ||
  die "there is no VF 0000:00:02.2: enable the GPU's VFs first (tessera gpu vfs PF COUNT)"
original_driver=
taken=
# What was taken is given back when the script ends, however it ends.
give_back() {
  [ -n "$taken" ] || return 0
  case "${original_driver:-}" in
    vfio-pci) ;;
    '') move_device 0000:00:02.2 "" "" ;;
    *) host=$(host_driver_of_pf 0000:00:02.2) && move_device 0000:00:02.2 "$host" "$host" ;;
  esac
}
trap 'give_back' EXIT
trap 'exit 130' INT TERM HUP

# Move 0000:00:02.2 to vfio-pci (its driver now is kept to give it back at exit).
original_driver=$(driver_of 0000:00:02.2)
taken=1
move_device 0000:00:02.2 vfio-pci vfio-pci

# Give you /dev/vfio/<group> of 0000:00:02.2, so QEMU runs as you.
grant_vfio /sys/bus/pci/devices/0000:00:02.2

# The VM’s runtime dir (0700: its sockets are reached only by you), without what an earlier run left.
(umask 077 && mkdir -p /run/user/1000/tessera/win11)
rm -f /run/user/1000/tessera/win11/qmp.sock /run/user/1000/tessera/win11/vnc.sock /run/user/1000/tessera/win11/spice.sock /run/user/1000/tessera/win11/serial.sock /run/user/1000/tessera/win11/monitor.sock /run/user/1000/tessera/win11/qemu.pid
# The VM’s own UEFI variable store, made from the template at the first run.
(umask 077 && mkdir -p /home/ada/.local/share/tessera/vms/win11)
[ -e /home/ada/.local/share/tessera/vms/win11/OVMF_VARS.ms.fd ] || cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd /home/ada/.local/share/tessera/vms/win11/OVMF_VARS.ms.fd
# The TPM emulator, on the socket QEMU connects to; it ends when QEMU lets go of it.
(umask 077 && mkdir -p /home/ada/.local/share/tessera/vms/win11/tpm)
/usr/bin/swtpm socket --tpm2 --tpmstate dir=/home/ada/.local/share/tessera/vms/win11/tpm,mode=0600 --ctrl type=unixio,path=/run/user/1000/tessera/win11/swtpm.sock,mode=0600 --pid file=/run/user/1000/tessera/win11/swtpm.pid --log file=/run/user/1000/tessera/win11/swtpm.log --terminate --daemon

# Not done by this script:
# - the locked-memory check of Tessera's start: vfio pins all 8192 MiB of guest RAM, so your RLIMIT_MEMLOCK must allow it (tessera doctor shows how)

# QEMU in the foreground, exactly as `tessera vm args` prints it; the slice is given back when it ends.
"$QEMU" \
  -name \
  win11,process=tessera-win11 \
  -uuid \
  0b5f3c1e-6a2d-4c8e-9f47-3d21a8b6e5c0 \
  -machine \
  q35,accel=kvm,smm=on,memory-backend=mem0,pflash0=ovmf-code,pflash1=ovmf-vars \
  -cpu \
  host,hv-relaxed=on,hv-vapic=on,hv-spinlocks=0x1fff,hv-time=on \
  -smp \
  4 \
  -m \
  8192M \
  -object \
  memory-backend-memfd,id=mem0,size=8192M \
  -nodefaults \
  -no-user-config \
  -pidfile \
  /run/user/1000/tessera/win11/qemu.pid \
  -chardev \
  socket,id=qmp,path=/run/user/1000/tessera/win11/qmp.sock,server=on,wait=off \
  -mon \
  chardev=qmp,mode=control \
  -chardev \
  socket,id=serial0,path=/run/user/1000/tessera/win11/serial.sock,server=on,wait=off,logfile=/run/user/1000/tessera/win11/serial.log,logappend=on \
  -serial \
  chardev:serial0 \
  -chardev \
  socket,id=monitor0,path=/run/user/1000/tessera/win11/monitor.sock,server=on,wait=off,logfile=/run/user/1000/tessera/win11/monitor.log \
  -mon \
  chardev=monitor0,mode=readline \
  -display \
  egl-headless,rendernode=/dev/dri/renderD128 \
  -spice \
  unix=on,addr=/run/user/1000/tessera/win11/spice.sock,disable-ticketing=on \
  -blockdev \
  driver=raw,node-name=ovmf-code,read-only=on,file.driver=file,file.filename=/usr/share/OVMF/OVMF_CODE_4M.ms.fd \
  -blockdev \
  driver=raw,node-name=ovmf-vars,file.driver=file,file.filename=/home/ada/.local/share/tessera/vms/win11/OVMF_VARS.ms.fd \
  -global \
  driver=cfi.pflash01,property=secure,value=on \
  -chardev \
  socket,id=tpm0-sock,path=/run/user/1000/tessera/win11/swtpm.sock \
  -tpmdev \
  emulator,id=tpm0,chardev=tpm0-sock \
  -device \
  tpm-crb,id=tpm0-crb,tpmdev=tpm0 \
  -blockdev \
  driver=qcow2,node-name=drive-disk0,file.driver=file,file.filename=/home/ada/vms/win11.qcow2 \
  -device \
  ide-hd,id=disk0,drive=drive-disk0,bus=ide.1,bootindex=1 \
  -blockdev \
  driver=raw,node-name=drive-cdrom0,read-only=on,file.driver=file,file.filename=/home/ada/isos/Win11.iso \
  -device \
  ide-cd,id=cdrom0,drive=drive-cdrom0,bus=ide.0,bootindex=2 \
  -netdev \
  user,id=net0,hostfwd=tcp:127.0.0.1:13389-:3389 \
  -device \
  e1000e,id=nic0,netdev=net0 \
  -device \
  vfio-pci,id=gpu0,host=0000:00:02.2 \
  -device \
  virtio-vga,id=video0,max_outputs=1,blob=true \
  -device \
  qemu-xhci,id=usb0 \
  -device \
  usb-tablet,id=tablet0,bus=usb0.0 \
  -device \
  virtio-serial-pci,id=vserial0 \
  -chardev \
  spicevmc,id=vdagent0,name=vdagent \
  -device \
  virtserialport,id=vdagentport0,bus=vserial0.0,chardev=vdagent0,name=com.redhat.spice.0
