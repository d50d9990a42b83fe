// Portable quantizers, branch-free so compilers vectorize them at the baseline ISA
// (QuantizeLinear's loop is shared with the AVX2 and AVX-512 files: quantize-linear.h).
#include <cmath>
#include <cstdint>
#include <limits>

#include "../quantize-linear.h"
#include "../quantize-rows.h"
#include "../ukernels.h"

namespace lowbit {

void lb_f32_qs8_quantize__scalar(const float* x, int8_t* y, size_t n, float scale, int32_t zp) {
  quantize_linear_run(x, y, n, scale, zp);
}
void lb_f32_qu8_quantize__scalar(const float* x, uint8_t* y, size_t n, float scale, int32_t zp) {
  quantize_linear_run(x, y, n, scale, zp);
}
void lb_qs8_f32_dequantize__scalar(const int8_t* x, float* y, size_t n, float scale, int32_t zp) {
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zp) * scale;
}
void lb_qu8_f32_dequantize__scalar(const uint8_t* x, float* y, size_t n, float scale, int32_t zp) {
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zp) * scale;
}

void lb_f32_qu8_quantize_rows__scalar(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q,
                                      size_t ldq, float* scales, int32_t* zero_points) {
  for (size_t m = 0; m < M; ++m) {
    const float* row = x + m * ldx;
    uint8_t* out = q + m * ldq;
    float lo = 0.f, hi = 0.f, bad = 0.f;
    minmax_tail(row, 0, K, lo, hi, bad);
    if (!dynamic_row_params(lo, hi, bad == 0.f, K, out, &scales[m], &zero_points[m])) continue;
    const float inv = 1.f / scales[m];
    for (size_t k = 0; k < K; ++k) out[k] = dynamic_quantize_one(row[k], inv, zero_points[m]);
  }
}

}  // namespace lowbit
