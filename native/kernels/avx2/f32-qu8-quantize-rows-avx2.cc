// Dynamic per-row uint8 quantization of activations for AVX2 CPUs: 8 floats per step, scalar
// tails through the shared exact helper. Matches lb_quantize_rows_u8_ref exactly.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../quantize-rows.h"
#include "../ukernels.h"

namespace lowbit {

void lb_f32_qu8_quantize_rows__avx2(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q,
                                    size_t ldq, float* scales, int32_t* zero_points) {
  // Low byte of each int32, gathered to the first 4 bytes of each 128-bit lane.
  const __m256i gather = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i join = _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1);
  for (size_t m = 0; m < M; ++m) {
    const float* row = x + m * ldx;
    uint8_t* out = q + m * ldq;
    __m256 lo = _mm256_setzero_ps(), hi = lo, bad = lo;
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
      const __m256 v = _mm256_loadu_ps(row + k);
      bad = _mm256_add_ps(bad, _mm256_sub_ps(v, v));  // NaN once anything is non-finite
      lo = _mm256_min_ps(lo, v);
      hi = _mm256_max_ps(hi, v);
    }
    alignas(32) float l8[8], h8[8], b8[8];
    _mm256_store_ps(l8, lo);
    _mm256_store_ps(h8, hi);
    _mm256_store_ps(b8, bad);
    float lo1 = 0.f, hi1 = 0.f, bad1 = 0.f;
    for (int i = 0; i < 8; ++i) {
      lo1 = l8[i] < lo1 ? l8[i] : lo1;
      hi1 = h8[i] > hi1 ? h8[i] : hi1;
      bad1 += b8[i];
    }
    minmax_tail(row, k, K, lo1, hi1, bad1);
    if (!dynamic_row_params(lo1, hi1, bad1 == 0.f, K, out, &scales[m], &zero_points[m])) continue;
    const float inv1 = 1.f / scales[m];
    const int32_t z = zero_points[m];
    const __m256 inv = _mm256_set1_ps(inv1);
    const __m256i zp = _mm256_set1_epi32(z);
    const __m256 lim = _mm256_set1_ps(1024.f), nlim = _mm256_set1_ps(-1024.f);
    const __m256i zero = _mm256_setzero_si256(), top = _mm256_set1_epi32(255);
    for (k = 0; k + 8 <= K; k += 8) {
      __m256 v = _mm256_mul_ps(_mm256_loadu_ps(row + k), inv);
      v = _mm256_min_ps(_mm256_max_ps(v, nlim), lim);
      __m256i r = _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
      r = _mm256_min_epi32(_mm256_max_epi32(r, zero), top);
      r = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(r, gather), join);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out + k), _mm256_castsi256_si128(r));
    }
    for (; k < K; ++k) out[k] = dynamic_quantize_one(row[k], inv1, z);
  }
}

}  // namespace lowbit
#endif
