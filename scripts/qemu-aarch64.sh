#!/usr/bin/env sh
# ctest's emulator for the aarch64 cross build: the CPU model comes from LOWBIT_QEMU_CPU.
exec qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu "${LOWBIT_QEMU_CPU:-max}" "$@"
