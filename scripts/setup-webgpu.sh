#!/usr/bin/env bash
# Makes sure Dawn (the `webgpu` package) finds a WebGPU adapter on this machine.
# Idempotent: when an adapter is already found it does nothing.
# Without a GPU, on Debian/Ubuntu as root, it installs Mesa's software Vulkan driver
# (lavapipe). Dawn refuses Mesa < 24, so on Debian 12 the driver comes from bookworm-backports.
set -euo pipefail
cd "$(dirname "$0")/.."

probe() { node scripts/probe-adapter.mjs 2>/dev/null; }

if probe; then exit 0; fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  cat >&2 <<'MSG'
flowgrad: no WebGPU adapter found, and this script can only install a driver on Debian/Ubuntu as root.
Install a Vulkan driver for your GPU, or Mesa >= 24's software driver (lavapipe), e.g. on Debian 12:
  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list
  apt-get update && apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1
Then run scripts/setup-webgpu.sh again. The CPU backend (fg.init({ backend: 'cpu' })) needs no driver.
MSG
  exit 1
fi

echo "flowgrad: no WebGPU adapter; installing Mesa's software Vulkan driver (lavapipe)" >&2
export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
target=()
if [ "$codename" = bookworm ]; then
  list=/etc/apt/sources.list.d/flowgrad-backports.list
  grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ ||
    echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$list"
  target=(-t bookworm-backports)
fi
apt-get update -qq
apt-get install -y -qq "${target[@]}" mesa-vulkan-drivers libvulkan1 >/dev/null

if probe; then exit 0; fi
echo "flowgrad: the driver is installed but Dawn still finds no adapter; run 'node scripts/probe-adapter.mjs' to see why" >&2
exit 1
