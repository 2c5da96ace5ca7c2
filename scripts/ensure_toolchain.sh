#!/bin/sh
# Make sure the tools of the test tiers are present: the Arm GNU toolchain and QEMU for the
# Cortex-M tier, clang for the second-compiler checks. As root, missing ones are installed
# with apt-get; otherwise the tests that need them are skipped and this says how to install.
set -eu
missing=""
command -v arm-none-eabi-gcc >/dev/null 2>&1 || missing="$missing gcc-arm-none-eabi libnewlib-arm-none-eabi"
command -v qemu-system-arm  >/dev/null 2>&1 || missing="$missing qemu-system-arm"
command -v clang            >/dev/null 2>&1 || missing="$missing clang"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    apt-get update
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
else
    echo "note: missing$missing; the tests that need them will be skipped."
    echo "      install with: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y$missing"
fi
