// Per-(row, block) symmetric int8 activations for the int4 linear on AArch64: 4 floats per
// step. fcvtns rounds half to even like nearbyint; |x / sx| <= 127 so nothing saturates.
// Matches lb_quantize_rows_q8_blocks_ref exactly.
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include <algorithm>

#include "../quantize-rows.h"
#include "../ukernels.h"

namespace lowbit {

void lb_f32_qs8_quantize_blocks__neon(const float* x, size_t M, size_t K, size_t g, int8_t* xq, float* sx,
                                      int32_t* sum) {
  auto row_bad = [](const float* row, size_t K) {
    float32x4_t bad4 = vdupq_n_f32(0.f);
    size_t k = 0;
    for (; k + 4 <= K; k += 4) {
      const float32x4_t v = vld1q_f32(row + k);
      bad4 = vaddq_f32(bad4, vsubq_f32(v, v));
    }
    float bad = vaddvq_f32(bad4);
    for (; k < K; ++k) bad += row[k] - row[k];
    return bad != 0.f;  // NaN or ±Inf
  };
  auto block = [](const float* v, size_t n, size_t g, int8_t* q, int32_t* total) {
    float32x4_t amax4 = vdupq_n_f32(0.f);
    size_t j = 0;
    for (; j + 4 <= n; j += 4) amax4 = vmaxq_f32(amax4, vabsq_f32(vld1q_f32(v + j)));
    float amax = vmaxvq_f32(amax4);
    for (; j < n; ++j) amax = std::max(amax, std::fabs(v[j]));
    const float s = amax / 127.f;
    const float inv1 = s != 0.f ? 1.f / s : 0.f;
    const float32x4_t inv = vdupq_n_f32(inv1);
    int32x4_t total4 = vdupq_n_s32(0);
    for (j = 0; j + 8 <= n; j += 8) {
      const int32x4_t r0 = vcvtnq_s32_f32(vmulq_f32(vld1q_f32(v + j), inv));
      const int32x4_t r1 = vcvtnq_s32_f32(vmulq_f32(vld1q_f32(v + j + 4), inv));
      total4 = vaddq_s32(total4, vaddq_s32(r0, r1));
      vst1_s8(q + j, vmovn_s16(vcombine_s16(vmovn_s32(r0), vmovn_s32(r1))));
    }
    int32_t t = vaddvq_s32(total4);
    for (; j < n; ++j) {
      q[j] = static_cast<int8_t>(std::nearbyint(v[j] * inv1));
      t += q[j];
    }
    std::fill(q + n, q + g, int8_t{0});
    *total = t;
    return s;
  };
  q8_blocks_rows(x, M, K, g, xq, sx, sum, row_bad, block);
}

}  // namespace lowbit
#endif
