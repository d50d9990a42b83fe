// Peak probes for armv8-a NEON: 16 chains of smlal (the exact int8 path without dot product:
// 4 int16 MACs widening into int32 lanes) and of fmla (4 FMAs).
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../probe.h"
#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__neon(uint64_t iterations) {
  constexpr int C = 16;
  const int16x4_t a = vdup_n_s16(3), b = vdup_n_s16(static_cast<int16_t>(iterations & 7));
  run_probe_chains<int32x4_t, C>(
      iterations, [](int c) { return vdupq_n_s32(c); }, [&](int32x4_t x) { return vmlal_s16(x, a, b); },
      [](int32x4_t x, int32x4_t y) { return vaddq_s32(x, y); });
  return iterations * C * 4;
}

uint64_t lb_probe_f32__neon(uint64_t iterations) {
  constexpr int C = 16;
  const float32x4_t a = vdupq_n_f32(1.0000001f), b = vdupq_n_f32(1e-7f);  // no denormals, no folding
  run_probe_chains<float32x4_t, C>(
      iterations, [](int c) { return vdupq_n_f32(static_cast<float>(c)); },
      [&](float32x4_t x) { return vfmaq_f32(b, x, a); }, [](float32x4_t x, float32x4_t y) { return vaddq_f32(x, y); });
  return iterations * C * 4;
}

}  // namespace lowbit
#endif
