#include "ref.h"

#include <cmath>

namespace lowbit {

void lb_qgemm_ref(size_t M, size_t N, size_t K, const void* a, size_t lda, bool a_signed,
                  int32_t a_zero_point, const int32_t* a_zero_points, const int8_t* b,
                  ptrdiff_t stride_k, ptrdiff_t stride_n, int32_t b_zero_point, int32_t* c,
                  size_t ldc) {
  const auto* au = static_cast<const uint8_t*>(a);
  const auto* as = static_cast<const int8_t*>(a);
  for (size_t m = 0; m < M; ++m) {
    const int32_t za = a_zero_points ? a_zero_points[m] : a_zero_point;
    for (size_t n = 0; n < N; ++n) {
      uint32_t acc = 0;  // unsigned: wrapping is defined, and equals int32 two's complement
      for (size_t k = 0; k < K; ++k) {
        const int32_t av = a_signed ? as[m * lda + k] : au[m * lda + k];
        const int32_t bv = b[static_cast<ptrdiff_t>(k) * stride_k + static_cast<ptrdiff_t>(n) * stride_n];
        acc += static_cast<uint32_t>(av - za) * static_cast<uint32_t>(bv - b_zero_point);
      }
      c[m * ldc + n] = static_cast<int32_t>(acc);
    }
  }
}

void lb_f32_gemm_ref(size_t M, size_t N, size_t K, const float* a, size_t lda, const float* b,
                     ptrdiff_t stride_k, ptrdiff_t stride_n, const float* bias, float* y,
                     size_t ldy) {
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < N; ++n) {
      double acc = bias ? bias[n] : 0.0;
      for (size_t k = 0; k < K; ++k)
        acc += static_cast<double>(a[m * lda + k]) *
               b[static_cast<ptrdiff_t>(k) * stride_k + static_cast<ptrdiff_t>(n) * stride_n];
      y[m * ldy + n] = static_cast<float>(acc);
    }
  }
}

void lb_quantize_rows_u8_ref(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q,
                             size_t ldq, float* scales, int32_t* zero_points) {
  for (size_t m = 0; m < M; ++m) {
    const float* row = x + m * ldx;
    float lo = 0.f, hi = 0.f;
    bool finite = true;
    for (size_t k = 0; k < K; ++k) {
      if (!std::isfinite(row[k])) finite = false;
      else { lo = std::fmin(lo, row[k]); hi = std::fmax(hi, row[k]); }
    }
    if (!finite) {
      scales[m] = NAN;
      zero_points[m] = 0;
      for (size_t k = 0; k < K; ++k) q[m * ldq + k] = 0;
      continue;
    }
    // hi/255 - lo/255 rather than (hi - lo)/255: finite for every finite row.
    float scale = hi / 255.f - lo / 255.f;
    if (scale == 0.f) scale = 1.f;
    const float zpf = std::nearbyint(-lo / scale);
    const float inv = 1.f / scale;  // a multiply per value, not a divide (see lowbit.h)
    const int32_t zp = static_cast<int32_t>(std::fmin(255.f, std::fmax(0.f, zpf)));
    scales[m] = scale;
    zero_points[m] = zp;
    for (size_t k = 0; k < K; ++k) {
      float v = std::nearbyint(row[k] * inv) + static_cast<float>(zp);
      v = std::fmin(255.f, std::fmax(0.f, v));
      q[m * ldq + k] = static_cast<uint8_t>(v);
    }
  }
}

}  // namespace lowbit
