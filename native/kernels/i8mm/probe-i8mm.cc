// Peak probe for armv8.6-a i8mm: 16 chains of smmla (2x8 by 8x2: 32 MACs each).
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__i8mm(uint64_t iterations) {
  constexpr int C = 16;
  int32x4_t acc[C];
  for (int c = 0; c < C; ++c) acc[c] = vdupq_n_s32(c);
  const int8x16_t a = vdupq_n_s8(3), b = vdupq_n_s8(static_cast<int8_t>(iterations & 7));
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < C; ++c) acc[c] = vmmlaq_s32(acc[c], a, b);
  int32x4_t s = acc[0];
  for (int c = 1; c < C; ++c) s = vaddq_s32(s, acc[c]);
  volatile int32_t sink = vaddvq_s32(s);
  (void)sink;
  return iterations * C * 32;
}

}  // namespace lowbit
#endif
