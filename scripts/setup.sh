#!/usr/bin/env bash
# Installs the Debian 12 packages oncepay builds with, when any is missing.
# Run as root (or with sudo available). Idempotent: installs nothing when
# everything is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang-format curl python3
  clang libclang-rt-14-dev
  libcaf-dev
  libprotobuf-dev protobuf-compiler
  liblmdb-dev
  libboost1.81-dev libboost-system1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev
  prometheus-cpp-dev
  libxxhash-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
