#!/usr/bin/env bash
# The C++ tests without Node: build native/ with CMake and run them with ctest.
#   scripts/native-tests.sh            host build (every ISA this CPU has)
#   scripts/native-tests.sh sanitize   host build with AddressSanitizer + UBSan
#   scripts/native-tests.sh aarch64    cross build, run under qemu-aarch64 as three CPUs:
#                                      max (dotprod + i8mm), cortex-a76 (dotprod), cortex-a72 (neither)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-host}
jobs=$(nproc 2>/dev/null || echo 2)
case "$mode" in
  host)
    cmake -S . -B build-native -DLOWBIT_TESTS=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build-native -j"$jobs"
    ctest --test-dir build-native --output-on-failure
    ;;
  sanitize)
    cmake -S . -B build-sanitize -DLOWBIT_TESTS=ON -DLOWBIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build-sanitize -j"$jobs"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir build-sanitize --output-on-failure
    ;;
  aarch64)
    cmake -S . -B build-aarch64 -DLOWBIT_TESTS=ON -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake >/dev/null
    cmake --build build-aarch64 -j"$jobs"
    # Each CPU model must choose its own best path, and only paths it can run.
    for pair in max:i8mm cortex-a76:neondot cortex-a72:neon; do
      cpu=${pair%%:*}
      echo "== qemu-aarch64 -cpu $cpu (must choose ${pair#*:})"
      LOWBIT_QEMU_CPU=$cpu LOWBIT_EXPECT_ISA=${pair#*:} ctest --test-dir build-aarch64 --output-on-failure
    done
    ;;
  *) echo "usage: $0 [host|sanitize|aarch64]" >&2; exit 2 ;;
esac
