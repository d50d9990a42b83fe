// Peak probe for armv8.2-a dot product: 16 chains of sdot (16 MACs each).
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../probe.h"
#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__neondot(uint64_t iterations) {
  constexpr int C = 16;
  const int8x16_t a = vdupq_n_s8(3), b = vdupq_n_s8(static_cast<int8_t>(iterations & 7));
  run_probe_chains<int32x4_t, C>(
      iterations, [](int c) { return vdupq_n_s32(c); }, [&](int32x4_t x) { return vdotq_s32(x, a, b); },
      [](int32x4_t x, int32x4_t y) { return vaddq_s32(x, y); });
  return iterations * C * 16;
}

}  // namespace lowbit
#endif
