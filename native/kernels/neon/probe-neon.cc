// Peak probes for armv8-a NEON: 16 chains of smlal (8 int16 MACs widening into int32 lanes,
// the exact int8 path without dot product) and of fmla (4 FMAs).
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__neon(uint64_t iterations) {
  constexpr int C = 16;
  int32x4_t acc[C];
  for (int c = 0; c < C; ++c) acc[c] = vdupq_n_s32(c);
  const int16x4_t a = vdup_n_s16(3), b = vdup_n_s16(static_cast<int16_t>(iterations & 7));
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < C; ++c) acc[c] = vmlal_s16(acc[c], a, b);
  int32x4_t s = acc[0];
  for (int c = 1; c < C; ++c) s = vaddq_s32(s, acc[c]);
  volatile int32_t sink = vaddvq_s32(s);
  (void)sink;
  return iterations * C * 4;
}

uint64_t lb_probe_f32__neon(uint64_t iterations) {
  constexpr int C = 16;
  float32x4_t acc[C];
  for (int c = 0; c < C; ++c) acc[c] = vdupq_n_f32(static_cast<float>(c));
  const float32x4_t a = vdupq_n_f32(1.0000001f), b = vdupq_n_f32(1e-7f);
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < C; ++c) acc[c] = vfmaq_f32(b, acc[c], a);
  float32x4_t s = acc[0];
  for (int c = 1; c < C; ++c) s = vaddq_f32(s, acc[c]);
  volatile float sink = vaddvq_f32(s);
  (void)sink;
  return iterations * C * 4;
}

}  // namespace lowbit
#endif
