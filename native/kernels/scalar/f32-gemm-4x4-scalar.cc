// Portable fp32 GEMM tile. Matches lb_f32_gemm_ref within the fp32 tolerance.
#include "../ukernels.h"

namespace lowbit {

void lb_f32_gemm_ukernel_4x4__scalar(size_t mr_used, size_t nr_used, size_t kc, const float* a,
                                     const float* b, float* y, size_t ldy, bool accumulate,
                                     const float* bias) {
  constexpr size_t MR = 4, NR = 4;
  float acc[MR][NR] = {};
  for (size_t k = 0; k < kc; ++k)
    for (size_t m = 0; m < MR; ++m)
      for (size_t n = 0; n < NR; ++n) acc[m][n] += a[k * MR + m] * b[k * NR + n];
  for (size_t m = 0; m < mr_used; ++m)
    for (size_t n = 0; n < nr_used; ++n) {
      float v = acc[m][n];
      if (accumulate) v += y[m * ldy + n];
      else if (bias) v += bias[n];
      y[m * ldy + n] = v;
    }
}

}  // namespace lowbit
