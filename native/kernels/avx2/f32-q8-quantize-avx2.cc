// ONNX QuantizeLinear for AVX2 CPUs, 8 values per step: the same steps as the portable loop
// (quantize-linear.h: one IEEE division, NaN -> lowest, clamp, round half to even, + zero
// point, saturate), so the bytes are identical; GCC does not vectorize that loop at AVX2.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../quantize-linear.h"
#include "../ukernels.h"

namespace lowbit {
namespace {

template <typename T>
void quantize(const float* x, T* y, size_t n, float scale, int32_t zp) {
  constexpr float lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  const __m256 s = _mm256_set1_ps(scale), z = _mm256_set1_ps(static_cast<float>(zp));
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  const __m256 lim_lo = _mm256_set1_ps(-1024.f), lim_hi = _mm256_set1_ps(1024.f);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + i), s);
    const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
    v = _mm256_min_ps(_mm256_max_ps(v, lim_lo), lim_hi);  // NaN lanes are replaced below
    __m256 r = _mm256_add_ps(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
    r = _mm256_min_ps(_mm256_max_ps(r, vlo), vhi);
    r = _mm256_blendv_ps(r, vlo, nan);
    const __m256i q = _mm256_cvttps_epi32(r);  // exact small integers
    alignas(32) int32_t t[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(t), q);
    for (int j = 0; j < 8; ++j) y[i + j] = static_cast<T>(t[j]);
  }
  quantize_linear_run(x + i, y + i, n - i, scale, zp);
}

}  // namespace

void lb_f32_qs8_quantize__avx2(const float* x, int8_t* y, size_t n, float scale, int32_t zp) {
  quantize(x, y, n, scale, zp);
}
void lb_f32_qu8_quantize__avx2(const float* x, uint8_t* y, size_t n, float scale, int32_t zp) {
  quantize(x, y, n, scale, zp);
}

}  // namespace lowbit
#endif
