// Peak probe for armv8.2-a dot product: 16 chains of sdot (16 MACs each).
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__neondot(uint64_t iterations) {
  constexpr int C = 16;
  int32x4_t acc[C];
  for (int c = 0; c < C; ++c) acc[c] = vdupq_n_s32(c);
  const int8x16_t a = vdupq_n_s8(3), b = vdupq_n_s8(static_cast<int8_t>(iterations & 7));
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < C; ++c) acc[c] = vdotq_s32(acc[c], a, b);
  int32x4_t s = acc[0];
  for (int c = 1; c < C; ++c) s = vaddq_s32(s, acc[c]);
  volatile int32_t sink = vaddvq_s32(s);
  (void)sink;
  return iterations * C * 16;
}

}  // namespace lowbit
#endif
