// Peak probes for AVX-512 CPUs: 16 chains of vpdpbusd zmm (64 MACs each) and of zmm FMA (16).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../probe.h"
#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__avx512vnni(uint64_t iterations) {
  constexpr int C = 16;
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(static_cast<char>(iterations & 7));
  run_probe_chains<__m512i, C>(
      iterations, [](int c) { return _mm512_set1_epi32(c); }, [&](__m512i x) { return _mm512_dpbusd_epi32(x, a, b); },
      [](__m512i x, __m512i y) { return _mm512_add_epi32(x, y); });
  return iterations * C * 64;
}

uint64_t lb_probe_f32__avx512vnni(uint64_t iterations) {
  constexpr int C = 16;
  const __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(1e-7f);  // no denormals, no folding
  run_probe_chains<__m512, C>(
      iterations, [](int c) { return _mm512_set1_ps(static_cast<float>(c)); },
      [&](__m512 x) { return _mm512_fmadd_ps(x, a, b); }, [](__m512 x, __m512 y) { return _mm512_add_ps(x, y); });
  return iterations * C * 16;
}

}  // namespace lowbit
#endif
