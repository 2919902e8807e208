#!/bin/sh
# Renders resources/icons/tessera.svg at the hicolor sizes desktops use (Icon Theme Specification),
# as NxN.png beside it, the names electron-builder's linux.icon takes. The PNGs are committed, so a
# build needs no SVG renderer; tests/integration/packaging.test.ts renders them again and compares.
# Needs rsvg-convert (Debian package librsvg2-bin).
set -eu
cd "$(dirname "$0")/../resources/icons"
for size in 16 24 32 48 64 128 256 512; do
  rsvg-convert --width "$size" --height "$size" tessera.svg --output "${size}x${size}.png"
done
