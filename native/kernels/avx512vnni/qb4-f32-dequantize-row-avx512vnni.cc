// Blockwise int4 -> float for one row on AVX-512: 16 values per step. Bytes are widened to
// 16 bits and each becomes (low nibble | high nibble << 8), which puts element 2j before 2j+1
// in byte order; one more widening gives int32 lanes. Matches lb_dequantize_qb4_row_ref.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "../ukernels.h"

namespace lowbit {

void lb_qb4_f32_dequantize_row__avx512vnni(const uint8_t* data, const void* scales, const uint8_t* zps, size_t K,
                                           size_t g, bool fp16_scales, float* y) {
  const __m128i lo_mask = _mm_set1_epi16(0x000F), hi_mask = _mm_set1_epi16(0x0F00);
  for (size_t b = 0, k0 = 0; k0 < K; ++b, k0 += g) {
    float s;
    if (fp16_scales) s = _cvtsh_ss(static_cast<const uint16_t*>(scales)[b]);
    else s = static_cast<const float*>(scales)[b];
    const int zp = zps ? (zps[b / 2] >> (4 * (b % 2))) & 0x0F : 8;
    const __m512 scale = _mm512_set1_ps(s);
    const __m512i zpv = _mm512_set1_epi32(zp);
    const uint8_t* d = data + b * (g / 2);
    const size_t n = K - k0 < g ? K - k0 : g;
    for (size_t j = 0; j < n; j += 16) {  // g is a multiple of 16: the 8 bytes always exist
      uint64_t bytes;
      std::memcpy(&bytes, d + j / 2, 8);
      const __m128i w = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(bytes)));
      const __m128i e = _mm_or_si128(_mm_and_si128(w, lo_mask), _mm_and_si128(_mm_slli_epi16(w, 4), hi_mask));
      const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(e), zpv)), scale);
      float* out = y + k0 + j;
      if (n - j < 16) {
        _mm512_mask_storeu_ps(out, static_cast<__mmask16>((1u << (n - j)) - 1), v);
      } else if (reinterpret_cast<uintptr_t>(out) % 64 == 0) {
        // Large outputs go to DRAM: streaming stores skip the read-for-ownership of each line.
        _mm512_stream_ps(out, v);
      } else {
        _mm512_storeu_ps(out, v);
      }
    }
  }
  _mm_sfence();  // streaming stores are weakly ordered: publish them before returning
}

}  // namespace lowbit
#endif
