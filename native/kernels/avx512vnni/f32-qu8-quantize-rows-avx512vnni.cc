// Dynamic per-row uint8 quantization of activations for AVX-512 CPUs: 16 floats per step,
// masked tails. Matches lb_quantize_rows_u8_ref exactly (x / scale, vcvtps2dq rounds half to
// even under the default MXCSR, as nearbyint does).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../quantize-rows.h"
#include "../ukernels.h"

namespace lowbit {

void lb_f32_qu8_quantize_rows__avx512vnni(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q,
                                          size_t ldq, float* scales, int32_t* zero_points) {
  constexpr int kNonFinite = 0x01 | 0x08 | 0x10 | 0x80;  // QNaN, +Inf, -Inf, SNaN
  for (size_t m = 0; m < M; ++m) {
    const float* row = x + m * ldx;
    uint8_t* out = q + m * ldq;
    __m512 lo = _mm512_setzero_ps(), hi = lo;
    __mmask16 bad = 0;
    for (size_t k = 0; k < K; k += 16) {
      const __mmask16 live = K - k >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (K - k)) - 1);
      const __m512 v = _mm512_maskz_loadu_ps(live, row + k);  // zeros past the end: harmless
      bad |= _mm512_fpclass_ps_mask(v, kNonFinite);
      lo = _mm512_min_ps(lo, v);
      hi = _mm512_max_ps(hi, v);
    }
    if (!dynamic_row_params(_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), bad == 0, K, out,
                            &scales[m], &zero_points[m]))
      continue;
    const __m512 scale = _mm512_set1_ps(scales[m]);
    const __m512i zp = _mm512_set1_epi32(zero_points[m]);
    const __m512 lim = _mm512_set1_ps(1024.f), nlim = _mm512_set1_ps(-1024.f);
    const __m512i zero = _mm512_setzero_si512(), top = _mm512_set1_epi32(255);
    for (size_t k = 0; k < K; k += 16) {
      const __mmask16 live = K - k >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (K - k)) - 1);
      __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(live, row + k), scale);
      v = _mm512_min_ps(_mm512_max_ps(v, nlim), lim);
      __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(v), zp);
      r = _mm512_min_epi32(_mm512_max_epi32(r, zero), top);
      _mm_mask_storeu_epi8(out + k, live, _mm512_cvtepi32_epi8(r));
    }
  }
}

}  // namespace lowbit
#endif
