#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages libprof needs to build and test, skipping those already present.
# Usage: scripts/install-deps.sh [--test]   (--test adds what the test suite uses)
set -euo pipefail

pkgs=(build-essential cmake pkg-config libunwind-dev libdw-dev libelf-dev zlib1g-dev libcmocka-dev)
if [ "${1:-}" = "--test" ]; then
    # strip (binutils) and xz for the stripped-library tests, g++ for the C++ example.
    # clang + its runtime libraries for the libFuzzer targets, util-linux for setpriv (tests that
    # need an unprivileged user), libasan/libubsan/libtsan come with gcc (build-essential).
    pkgs+=(binutils xz-utils g++ python3 clang libclang-rt-14-dev util-linux)
    # go tool pprof reads our pprof export (test_pprof); man checks the man pages (test_install).
    pkgs+=(golang-go man-db)
fi

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
