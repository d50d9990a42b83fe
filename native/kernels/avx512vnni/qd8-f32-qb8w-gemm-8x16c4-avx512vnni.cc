// ggml q8_0-weight x int8-activation GEMM tile for AVX-512 VNNI CPUs: 16 columns, up to 8
// rows, 4 k per 64-byte group. The weights are stored + 128 (unsigned, for vpdpbusd's first
// operand) and the block sum of the activations takes the 128 back out: exact.
// Matches lb_linear_q8_0_ref bit for bit.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstring>

#include "../ukernels.h"

namespace lowbit {
namespace {

template <int R>
void tile(const Qb4GemmArgs& a) {
  constexpr size_t g = 32;
  const size_t record = qb8_record_bytes(), xstride = a.blocks * g;
  constexpr bool kSplit = R <= 2;  // two chains per row when rows are few (decode)
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    __m512i c0[R], c1[kSplit ? R : 1];
    for (int r = 0; r < R; ++r) c0[r] = _mm512_setzero_si512();
    if constexpr (kSplit)
      for (int r = 0; r < R; ++r) c1[r] = _mm512_setzero_si512();
    const int8_t* xb = a.xq + b * g;
    for (size_t t = 0; t < g / 4; t += 2) {
      const __m512i w0 = _mm512_loadu_si512(rec + 64 * t), w1 = _mm512_loadu_si512(rec + 64 * (t + 1));
      for (int r = 0; r < R; ++r) {
        int32_t x0, x1;
        std::memcpy(&x0, xb + r * xstride + 4 * t, 4);
        std::memcpy(&x1, xb + r * xstride + 4 * t + 4, 4);
        c0[r] = _mm512_dpbusd_epi32(c0[r], w0, _mm512_set1_epi32(x0));
        if constexpr (kSplit) c1[r] = _mm512_dpbusd_epi32(c1[r], w1, _mm512_set1_epi32(x1));
        else c0[r] = _mm512_dpbusd_epi32(c0[r], w1, _mm512_set1_epi32(x1));
      }
    }
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + g * 16)));
    for (int r = 0; r < R; ++r) {
      const __m512i dot = kSplit ? _mm512_add_epi32(c0[r], c1[r]) : c0[r];
      const __m512i corr = _mm512_set1_epi32(128 * a.xsum[r * a.blocks + b]);
      const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(a.sx[r * a.blocks + b]), d);
      acc[r] = _mm512_add_ps(acc[r], _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(dot, corr)), scale));
    }
  }
  const __mmask16 mask = a.nr_used >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << a.nr_used) - 1);
  const __m512 bias = a.bias ? _mm512_maskz_loadu_ps(mask, a.bias) : _mm512_setzero_ps();
  for (int r = 0; r < R; ++r)
    _mm512_mask_storeu_ps(a.y + r * a.ldy, mask, a.bias ? _mm512_add_ps(acc[r], bias) : acc[r]);
}

}  // namespace

void lb_qd8_f32_qb8w_gemm_ukernel_8x16c4__avx512vnni(const Qb4GemmArgs& a) {
  switch (a.mr_used) {
    case 1: return tile<1>(a);
    case 2: return tile<2>(a);
    case 3: return tile<3>(a);
    case 4: return tile<4>(a);
    case 5: return tile<5>(a);
    case 6: return tile<6>(a);
    case 7: return tile<7>(a);
    default: return tile<8>(a);
  }
}

}  // namespace lowbit
#endif
