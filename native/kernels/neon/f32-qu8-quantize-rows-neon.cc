// Dynamic per-row uint8 quantization of activations for AArch64: 4 floats per step, scalar
// tails through the shared exact helper. fcvtns rounds half to even like nearbyint.
// Matches lb_quantize_rows_u8_ref exactly.
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../quantize-rows.h"
#include "../ukernels.h"

namespace lowbit {

void lb_f32_qu8_quantize_rows__neon(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q,
                                    size_t ldq, float* scales, int32_t* zero_points) {
  for (size_t m = 0; m < M; ++m) {
    const float* row = x + m * ldx;
    uint8_t* out = q + m * ldq;
    float32x4_t lo = vdupq_n_f32(0.f), hi = lo, bad = lo;
    size_t k = 0;
    for (; k + 4 <= K; k += 4) {
      const float32x4_t v = vld1q_f32(row + k);
      bad = vaddq_f32(bad, vsubq_f32(v, v));
      lo = vminq_f32(lo, v);
      hi = vmaxq_f32(hi, v);
    }
    float bad1 = vaddvq_f32(bad);
    float lo1 = vminvq_f32(lo), hi1 = vmaxvq_f32(hi);
    minmax_tail(row, k, K, lo1, hi1, bad1);
    // bad1 == 0 also rules out NaN in lo1/hi1 (vminq propagates NaN, but only for NaN input).
    if (!dynamic_row_params(lo1, hi1, bad1 == 0.f, K, out, &scales[m], &zero_points[m])) continue;
    const float inv1 = 1.f / scales[m];
    const int32_t z = zero_points[m];
    const float32x4_t inv = vdupq_n_f32(inv1);
    const int32x4_t zp = vdupq_n_s32(z);
    for (k = 0; k + 8 <= K; k += 8) {
      const float32x4_t v0 = vminq_f32(vmaxq_f32(vmulq_f32(vld1q_f32(row + k), inv), vdupq_n_f32(-1024.f)), vdupq_n_f32(1024.f));
      const float32x4_t v1 = vminq_f32(vmaxq_f32(vmulq_f32(vld1q_f32(row + k + 4), inv), vdupq_n_f32(-1024.f)), vdupq_n_f32(1024.f));
      const int32x4_t r0 = vaddq_s32(vcvtnq_s32_f32(v0), zp), r1 = vaddq_s32(vcvtnq_s32_f32(v1), zp);
      const uint16x8_t h = vcombine_u16(vqmovun_s32(r0), vqmovun_s32(r1));  // clamps below 0
      vst1_u8(out + k, vqmovn_u16(h));                                       // clamps above 255
    }
    for (; k < K; ++k) out[k] = dynamic_quantize_one(row[k], inv1, z);
  }
}

}  // namespace lowbit
#endif
