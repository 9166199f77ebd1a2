#!/usr/bin/env bash
# Installs the Debian 12 packages oncepay builds with, when any is missing,
# and the node packages (npm ci, exactly as each package-lock.json pins them)
# of tools/openapi/ (the OpenAPI lint), web/ (uPlot, compiled into the
# console) and tests/console/ (puppeteer-core, for the browser test) when
# their node_modules is missing.
# Run as root (or with sudo available). Idempotent: installs nothing when
# everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

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
  libcsv-dev libzip-dev
  libcctz-dev tzdata
  chromium
)
# node and npm run the OpenAPI lint and response check (tools/openapi/). They
# are checked by command, not by package: an image may bring its own node
# whose package provides npm, and Debian's npm package conflicts with it.
NODE_PACKAGES=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=("${NODE_PACKAGES[@]}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The versions package-lock.json pins, exactly; only when they are missing.
# chromium (above) is the browser tests/console drives: puppeteer-core
# downloads none.
for dir in tools/openapi web tests/console; do
  if [ ! -d "$dir/node_modules" ]; then
    echo "setup: npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
done
