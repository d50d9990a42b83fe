// Dynamic per-row uint8 quantization of activations for AVX-512 CPUs. Matches
// lb_quantize_rows_u8_ref exactly: x * (1/scale), vcvtps2dq rounds half to even under the
// default MXCSR as nearbyint does, and the saturating packs clamp to [0, 255] as the reference
// does (|x / scale| <= 255 for a finite row, so the int32 conversion cannot overflow).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../quantize-rows.h"
#include "../ukernels.h"

namespace lowbit {

void lb_f32_qu8_quantize_rows__avx512vnni(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q,
                                          size_t ldq, float* scales, int32_t* zero_points) {
  // After packus_epi32 then packus_epi16, 128-bit lane j holds 4-byte group j of each of the
  // four sources; this puts the groups back in source order.
  const __m512i unshuffle = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  for (size_t m = 0; m < M; ++m) {
    const float* row = x + m * ldx;
    uint8_t* out = q + m * ldq;
    __m512 lo0 = _mm512_setzero_ps(), lo1 = lo0, hi0 = lo0, hi1 = lo0, bad = lo0;
    size_t k = 0;
    for (; k + 32 <= K; k += 32) {
      const __m512 v0 = _mm512_loadu_ps(row + k), v1 = _mm512_loadu_ps(row + k + 16);
      // v - v is 0 for finite values and NaN for NaN/±Inf; NaN then sticks in the sum.
      bad = _mm512_add_ps(bad, _mm512_add_ps(_mm512_sub_ps(v0, v0), _mm512_sub_ps(v1, v1)));
      lo0 = _mm512_min_ps(lo0, v0);
      lo1 = _mm512_min_ps(lo1, v1);
      hi0 = _mm512_max_ps(hi0, v0);
      hi1 = _mm512_max_ps(hi1, v1);
    }
    for (; k < K; k += 16) {
      const __mmask16 live = K - k >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (K - k)) - 1);
      const __m512 v = _mm512_maskz_loadu_ps(live, row + k);  // zeros past the end: harmless
      bad = _mm512_add_ps(bad, _mm512_sub_ps(v, v));
      lo0 = _mm512_min_ps(lo0, v);
      hi0 = _mm512_max_ps(hi0, v);
    }
    const bool finite = _mm512_cmp_ps_mask(bad, bad, _CMP_UNORD_Q) == 0;
    if (!dynamic_row_params(_mm512_reduce_min_ps(_mm512_min_ps(lo0, lo1)),
                            _mm512_reduce_max_ps(_mm512_max_ps(hi0, hi1)), finite, K, out, &scales[m],
                            &zero_points[m]))
      continue;
    const float inv1 = 1.f / scales[m];
    const __m512 inv = _mm512_set1_ps(inv1);
    const __m512i zp = _mm512_set1_epi32(zero_points[m]);
    auto quant = [&](__m512 v) { return _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, inv)), zp); };
    for (k = 0; k + 64 <= K; k += 64) {
      const __m512i r0 = quant(_mm512_loadu_ps(row + k)), r1 = quant(_mm512_loadu_ps(row + k + 16));
      const __m512i r2 = quant(_mm512_loadu_ps(row + k + 32)), r3 = quant(_mm512_loadu_ps(row + k + 48));
      const __m512i bytes = _mm512_packus_epi16(_mm512_packus_epi32(r0, r1), _mm512_packus_epi32(r2, r3));
      _mm512_storeu_si512(out + k, _mm512_permutexvar_epi32(unshuffle, bytes));
    }
    for (; k < K; ++k) out[k] = dynamic_quantize_one(row[k], inv1, zero_points[m]);
  }
}

}  // namespace lowbit
#endif
