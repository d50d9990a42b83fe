// The shape every peak probe shares: C independent accumulator chains, each updated by one
// instruction per iteration, reduced at the end so nothing can be optimized away. Each ISA's
// probe file instantiates it with its own intrinsics.
#pragma once

#include <cstdint>

namespace lowbit {
// Internal linkage: files compiled with different ISA flags include this, and the linker must
// never pick one file's copy for another's caller.
namespace {

template <typename V, int C, typename Init, typename Step, typename Fold>
void run_probe_chains(uint64_t iterations, Init init, Step step, Fold fold) {
  V acc[C];
  for (int c = 0; c < C; ++c) acc[c] = init(c);
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < C; ++c) acc[c] = step(acc[c]);
  V s = acc[0];
  for (int c = 1; c < C; ++c) s = fold(s, acc[c]);
  volatile V sink = s;  // the result is observed: the loop must run
  (void)sink;
}

}  // namespace
}  // namespace lowbit
