// Peak probes for AVX-512 CPUs: 16 chains of vpdpbusd zmm (64 MACs each) and of zmm FMA (16).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__avx512vnni(uint64_t iterations) {
  constexpr int C = 16;
  __m512i acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_set1_epi32(c);
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(static_cast<char>(iterations & 7));
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < C; ++c) acc[c] = _mm512_dpbusd_epi32(acc[c], a, b);
  __m512i s = acc[0];
  for (int c = 1; c < C; ++c) s = _mm512_add_epi32(s, acc[c]);
  volatile int sink = _mm512_reduce_add_epi32(s);
  (void)sink;
  return iterations * C * 64;
}

uint64_t lb_probe_f32__avx512vnni(uint64_t iterations) {
  constexpr int C = 16;
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  const __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(1e-7f);
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < C; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  __m512 s = acc[0];
  for (int c = 1; c < C; ++c) s = _mm512_add_ps(s, acc[c]);
  volatile float sink = _mm512_reduce_add_ps(s);
  (void)sink;
  return iterations * C * 16;
}

}  // namespace lowbit
#endif
