// Peak probes for AVX2 CPUs: 12 chains of the exact int8 path (vpmaddubsw + vpmaddwd + vpaddd,
// 32 MACs per step; the accumulator is also an operand, so nothing can be hoisted) and 12 chains
// of ymm FMA (8 per instruction).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../probe.h"
#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__avx2(uint64_t iterations) {
  constexpr int C = 12;
  const __m256i b = _mm256_set1_epi8(static_cast<char>(iterations & 7)), ones = _mm256_set1_epi16(1);
  run_probe_chains<__m256i, C>(
      iterations, [](int c) { return _mm256_set1_epi32(c); },
      [&](__m256i a) { return _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones)); },
      [](__m256i x, __m256i y) { return _mm256_add_epi32(x, y); });
  return iterations * C * 32;
}

uint64_t lb_probe_f32__avx2(uint64_t iterations) {
  constexpr int C = 12;
  const __m256 a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(1e-7f);  // no denormals, no folding
  run_probe_chains<__m256, C>(
      iterations, [](int c) { return _mm256_set1_ps(static_cast<float>(c)); },
      [&](__m256 x) { return _mm256_fmadd_ps(x, a, b); }, [](__m256 x, __m256 y) { return _mm256_add_ps(x, y); });
  return iterations * C * 8;
}

}  // namespace lowbit
#endif
