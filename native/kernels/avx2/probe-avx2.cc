// Peak probes for AVX2 CPUs: 12 chains of the exact int8 path (vpmaddubsw + vpmaddwd + vpaddd,
// 32 MACs per step) and 12 chains of ymm FMA (8 per instruction).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__avx2(uint64_t iterations) {
  constexpr int C = 12;
  __m256i acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm256_set1_epi32(c);
  const __m256i b = _mm256_set1_epi8(static_cast<char>(iterations & 7)), ones = _mm256_set1_epi16(1);
  // The accumulator is also the unsigned operand: nothing can be hoisted out of the loop.
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < C; ++c) acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(_mm256_maddubs_epi16(acc[c], b), ones));
  __m256i s = acc[0];
  for (int c = 1; c < C; ++c) s = _mm256_add_epi32(s, acc[c]);
  volatile int sink = _mm256_extract_epi32(s, 0);
  (void)sink;
  return iterations * C * 32;
}

uint64_t lb_probe_f32__avx2(uint64_t iterations) {
  constexpr int C = 12;
  __m256 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  const __m256 a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(1e-7f);
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < C; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  __m256 s = acc[0];
  for (int c = 1; c < C; ++c) s = _mm256_add_ps(s, acc[c]);
  volatile float sink = _mm256_cvtss_f32(s);
  (void)sink;
  return iterations * C * 8;
}

}  // namespace lowbit
#endif
