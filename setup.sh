#!/bin/sh
# Sets Tessera up on a fresh Debian or Ubuntu machine, as root or as a user with sudo: the host
# packages QEMU guests need, then the Node packages and the build (`npm ci`). Run again any time;
# it installs only what is missing. Electron's binary is optional: where it cannot be downloaded
# the install goes on and says so, and `npx tessera serve` and the CLI work without it.
set -eu
cd "$(dirname "$0")"

# QEMU, its disk tools and UEFI firmware; QEMU's own window and virtio GL; a TPM for Windows 11.
PACKAGES="qemu-system-x86 qemu-system-gui qemu-utils ovmf swtpm"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
  else
    echo "setup.sh: installing$missing needs root: run ./setup.sh as root, or install sudo" >&2
    exit 1
  fi
  # A fresh machine's package lists may be empty; apt-get install alone would find nothing.
  $as_root apt-get update
  # shellcheck disable=SC2086 # one word per package
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi

if ! command -v npm >/dev/null 2>&1 || ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "setup.sh: Tessera needs Node.js 20.19 or newer with npm (found: $(node --version 2>/dev/null || echo none)); install it from your distribution's backports or Node's own packages, then run ./setup.sh again" >&2
  exit 1
fi

# Electron's binary comes from outside the npm registry and may be out of reach: install without
# it, so npm ci cannot fail on it and keeps the electron package (its types and version are part of
# the build), then fetch it as its own install script would, and say what a failure means.
# node-pty has no prebuilt binary for Linux, so npm ci builds it with node-gyp, which downloads
# Node's headers unless it is told where they are. Node's own packages install them beside the
# binary (PREFIX/include/node): point node-gyp there when nothing else is configured, so the
# install works on a machine that cannot download them, with any HOME.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -z "${npm_config_nodedir:-}" ] && [ "$(npm config get nodedir)" = "undefined" ] &&
  [ -f "$node_prefix/include/node/common.gypi" ] &&
  [ "$(sed -n 's/^#define NODE_MAJOR_VERSION //p' "$node_prefix/include/node/node_version.h")" = "$(node -p 'process.versions.node.split(".")[0]')" ]; then
  export npm_config_nodedir="$node_prefix"
fi
ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci
if ! node node_modules/electron/install.js >/dev/null 2>&1; then
  echo "setup.sh: Electron's binary could not be downloaded, so npm start cannot open the desktop app; npx tessera serve and the CLI work without it (to try again: node node_modules/electron/install.js)" >&2
fi
echo "setup.sh: done. Run: npx tessera serve   (or npm start for the desktop app)"
