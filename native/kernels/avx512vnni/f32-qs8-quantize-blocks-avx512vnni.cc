// Per-(row, block) symmetric int8 activations for the int4 linear on AVX-512: 16 floats per
// step, masked tails. Matches lb_quantize_rows_q8_blocks_ref exactly (|x / sx| <= 127, and
// vcvtps2dq rounds half to even like nearbyint).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../quantize-rows.h"
#include "../ukernels.h"

namespace lowbit {

void lb_f32_qs8_quantize_blocks__avx512vnni(const float* x, size_t M, size_t K, size_t g, int8_t* xq, float* sx,
                                            int32_t* sum) {
  const __m512 sign = _mm512_set1_ps(-0.f);
  auto row_bad = [](const float* row, size_t K) {
    __m512 bad = _mm512_setzero_ps();
    for (size_t k = 0; k < K; k += 16) {
      const __mmask16 live = K - k >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (K - k)) - 1);
      const __m512 v = _mm512_maskz_loadu_ps(live, row + k);
      bad = _mm512_add_ps(bad, _mm512_sub_ps(v, v));
    }
    return _mm512_cmp_ps_mask(bad, bad, _CMP_UNORD_Q) != 0;  // NaN or ±Inf
  };
  auto block = [&](const float* v, size_t n, size_t g, int8_t* q, int32_t* total) {
    __m512 amax = _mm512_setzero_ps();
    for (size_t j = 0; j < g; j += 16) {  // g is a multiple of 16; past n the loads are zeros
      const __mmask16 live = j >= n ? 0 : n - j >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - j)) - 1);
      amax = _mm512_max_ps(amax, _mm512_andnot_ps(sign, _mm512_maskz_loadu_ps(live, v + j)));
    }
    const float s = _mm512_reduce_max_ps(amax) / 127.f;
    const __m512 inv = _mm512_set1_ps(s != 0.f ? 1.f / s : 0.f);
    __m512i t = _mm512_setzero_si512();
    for (size_t j = 0; j < g; j += 16) {
      const __mmask16 live = j >= n ? 0 : n - j >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - j)) - 1);
      const __m512i r = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(live, v + j), inv));
      t = _mm512_add_epi32(t, r);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + j), _mm512_cvtepi32_epi8(r));
    }
    *total = _mm512_reduce_add_epi32(t);
    return s;
  };
  q8_blocks_rows(x, M, K, g, xq, sx, sum, row_bad, block);
}

}  // namespace lowbit
#endif
