// Blockwise int4 -> float for one row on AVX2: 8 values per step (4 bytes widened to 16-bit
// lanes holding (low | high << 8), then to int32). Streaming stores when the output is
// 32-byte aligned. Matches lb_dequantize_qb4_row_ref.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "../ukernels.h"

namespace lowbit {

void lb_qb4_f32_dequantize_row__avx2(const uint8_t* data, const void* scales, const uint8_t* zps, size_t K,
                                     size_t g, bool fp16_scales, float* y) {
  const __m128i lo_mask = _mm_set1_epi16(0x000F), hi_mask = _mm_set1_epi16(0x0F00);
  for (size_t b = 0, k0 = 0; k0 < K; ++b, k0 += g) {
    const float s = fp16_scales ? _cvtsh_ss(static_cast<const uint16_t*>(scales)[b]) : static_cast<const float*>(scales)[b];
    const int zp = zps ? (zps[b / 2] >> (4 * (b % 2))) & 0x0F : 8;
    const __m256 scale = _mm256_set1_ps(s);
    const __m256i zpv = _mm256_set1_epi32(zp);
    const uint8_t* d = data + b * (g / 2);
    const size_t n = K - k0 < g ? K - k0 : g;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
      int32_t bytes;
      std::memcpy(&bytes, d + j / 2, 4);
      const __m128i w = _mm_cvtepu8_epi16(_mm_cvtsi32_si128(bytes));
      const __m128i e = _mm_or_si128(_mm_and_si128(w, lo_mask), _mm_and_si128(_mm_slli_epi16(w, 4), hi_mask));
      const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(e), zpv)), scale);
      float* out = y + k0 + j;
      if (reinterpret_cast<uintptr_t>(out) % 32 == 0) _mm256_stream_ps(out, v);
      else _mm256_storeu_ps(out, v);
    }
    for (; j < n; ++j) y[k0 + j] = static_cast<float>(((d[j / 2] >> (4 * (j % 2))) & 0x0F) - zp) * s;
  }
  _mm_sfence();  // streaming stores are weakly ordered: publish them before returning
}

}  // namespace lowbit
#endif
