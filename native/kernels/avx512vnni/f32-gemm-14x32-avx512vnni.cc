// fp32 GEMM tile for AVX-512 CPUs: 14 rows x 32 columns = 28 zmm accumulators, one broadcast
// and two B loads per k. Uses only AVX-512F; it lives in the avx512vnni tier because lowbit
// selects whole tiers. Matches lb_f32_gemm_ref within the fp32 tolerance.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../ukernels.h"

namespace lowbit {
namespace {

constexpr int MR = 14, NR = 32;

template <int R>
void tile(size_t nr_used, size_t kc, const float* a, const float* b, float* y, size_t ldy,
          bool accumulate, const float* bias) {
  __m512 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
#pragma GCC unroll 2  // fewer loop-carried pointer updates per FMA: +6% here
  for (size_t k = 0; k < kc; ++k) {
    // B streams from memory in the first tile over each k block (a panel of a large weight is
    // read once per chunk of rows); the hardware prefetcher alone left M = 32 at ~95 GFLOPS.
    // 32 k ahead: 4 KB. (Prefetches never fault, so running past the panel is harmless.)
    _mm_prefetch(reinterpret_cast<const char*>(b + 32 * NR), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + 32 * NR + 16), _MM_HINT_T0);
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
    a += MR;
    b += NR;
  }
  const __mmask16 m0 = nr_used >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << nr_used) - 1);
  const __mmask16 m1 =
      nr_used >= 32 ? 0xFFFF : nr_used <= 16 ? 0 : static_cast<__mmask16>((1u << (nr_used - 16)) - 1);
  __m512 i0 = _mm512_setzero_ps(), i1 = i0;
  if (!accumulate && bias) {
    i0 = _mm512_maskz_loadu_ps(m0, bias);
    i1 = _mm512_maskz_loadu_ps(m1, bias + 16);
  }
  for (int r = 0; r < R; ++r) {
    float* yr = y + r * ldy;
    __m512 c0 = i0, c1 = i1;
    if (accumulate) {
      c0 = _mm512_maskz_loadu_ps(m0, yr);
      c1 = _mm512_maskz_loadu_ps(m1, yr + 16);
    }
    _mm512_mask_storeu_ps(yr, m0, _mm512_add_ps(acc[r][0], c0));
    _mm512_mask_storeu_ps(yr + 16, m1, _mm512_add_ps(acc[r][1], c1));
  }
}

}  // namespace

void lb_f32_gemm_ukernel_14x32__avx512vnni(size_t mr_used, size_t nr_used, size_t kc,
                                           const float* a, const float* b, float* y, size_t ldy,
                                           bool accumulate, const float* bias) {
  switch (mr_used) {
#define LB_CASE(r) case r: return tile<r>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    LB_CASE(1) LB_CASE(2) LB_CASE(3) LB_CASE(4) LB_CASE(5) LB_CASE(6) LB_CASE(7)
    LB_CASE(8) LB_CASE(9) LB_CASE(10) LB_CASE(11) LB_CASE(12) LB_CASE(13)
#undef LB_CASE
    default: return tile<MR>(nr_used, kc, a, b, y, ldy, accumulate, bias);
  }
}

}  // namespace lowbit
#endif
