// Peak probe for AVX-VNNI CPUs: 12 chains of VEX vpdpbusd ymm (32 MACs per instruction).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../probe.h"
#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__avxvnni(uint64_t iterations) {
  constexpr int C = 12;
  const __m256i b = _mm256_set1_epi8(static_cast<char>(iterations & 7));
  run_probe_chains<__m256i, C>(
      iterations, [](int c) { return _mm256_set1_epi32(c); },
      [&](__m256i a) { return _mm256_dpbusd_avx_epi32(a, a, b); },
      [](__m256i x, __m256i y) { return _mm256_add_epi32(x, y); });
  return iterations * C * 32;
}

}  // namespace lowbit
#endif
