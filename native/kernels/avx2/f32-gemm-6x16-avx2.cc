// fp32 GEMM tile for AVX2+FMA CPUs: 6 rows x 16 columns = 12 ymm accumulators.
// Matches lb_f32_gemm_ref within the fp32 tolerance.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../ukernels.h"

namespace lowbit {
namespace {

constexpr int MR = 6, NR = 16;

template <int R>
void tile(size_t nr_used, size_t kc, const float* a, const float* b, float* y, size_t ldy,
          bool accumulate, const float* bias) {
  __m256 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (size_t k = 0; k < kc; ++k) {
    // As the AVX-512 kernel: B streams from memory in the first tile over each k block.
    _mm_prefetch(reinterpret_cast<const char*>(b + 64 * 16), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
    a += MR;
    b += NR;
  }
  alignas(32) float tmp[NR];
  for (int r = 0; r < R; ++r) {
    float* yr = y + r * ldy;
    if (nr_used == NR) {
      __m256 c0 = _mm256_setzero_ps(), c1 = c0;
      if (accumulate) {
        c0 = _mm256_loadu_ps(yr);
        c1 = _mm256_loadu_ps(yr + 8);
      } else if (bias) {
        c0 = _mm256_loadu_ps(bias);
        c1 = _mm256_loadu_ps(bias + 8);
      }
      _mm256_storeu_ps(yr, _mm256_add_ps(acc[r][0], c0));
      _mm256_storeu_ps(yr + 8, _mm256_add_ps(acc[r][1], c1));
    } else {
      _mm256_store_ps(tmp, acc[r][0]);
      _mm256_store_ps(tmp + 8, acc[r][1]);
      for (size_t n = 0; n < nr_used; ++n)
        yr[n] = tmp[n] + (accumulate ? yr[n] : bias ? bias[n] : 0.f);
    }
  }
}

}  // namespace

void lb_f32_gemm_ukernel_6x16__avx2(size_t mr_used, size_t nr_used, size_t kc, const float* a,
                                    const float* b, float* y, size_t ldy, bool accumulate,
                                    const float* bias) {
  switch (mr_used) {
    case 1: return tile<1>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 2: return tile<2>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 3: return tile<3>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 4: return tile<4>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    case 5: return tile<5>(nr_used, kc, a, b, y, ldy, accumulate, bias);
    default: return tile<MR>(nr_used, kc, a, b, y, ldy, accumulate, bias);
  }
}

}  // namespace lowbit
#endif
