// fp32 GEMM tile for armv8-a NEON (every AArch64 CPU): 8 rows x 12 columns = 24 q-register
// accumulators. Matches lb_f32_gemm_ref within the fp32 tolerance.
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../ukernels.h"

namespace lowbit {
namespace {

constexpr int MR = 8, NR = 12;

template <int R>
void tile(size_t nr_used, size_t kc, const float* a, const float* b, float* y, size_t ldy,
          bool accumulate, const float* bias) {
  float32x4_t acc[R][3];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = acc[r][2] = vdupq_n_f32(0.f);
  for (size_t k = 0; k < kc; ++k) {
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
    for (int r = 0; r < R; ++r) {
      acc[r][0] = vfmaq_n_f32(acc[r][0], b0, a[r]);
      acc[r][1] = vfmaq_n_f32(acc[r][1], b1, a[r]);
      acc[r][2] = vfmaq_n_f32(acc[r][2], b2, a[r]);
    }
    a += MR;
    b += NR;
  }
  float tmp[NR];
  for (int r = 0; r < R; ++r) {
    vst1q_f32(tmp, acc[r][0]);
    vst1q_f32(tmp + 4, acc[r][1]);
    vst1q_f32(tmp + 8, acc[r][2]);
    float* yr = y + r * ldy;
    for (size_t n = 0; n < nr_used; ++n)
      yr[n] = tmp[n] + (accumulate ? yr[n] : bias ? bias[n] : 0.f);
  }
}

}  // namespace

void lb_f32_gemm_ukernel_8x12__neon(size_t mr_used, size_t nr_used, size_t kc, const float* a,
                                    const float* b, float* y, size_t ldy, bool accumulate,
                                    const float* bias) {
  switch (mr_used) {
    case 1: return tile<1>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 2: return tile<2>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 3: return tile<3>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 4: return tile<4>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 5: return tile<5>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 6: return tile<6>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 7: return tile<7>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    default: return tile<MR>(nr_used, kc, a, b, y, ldy, accumulate, bias);
  }
}

}  // namespace lowbit
#endif
