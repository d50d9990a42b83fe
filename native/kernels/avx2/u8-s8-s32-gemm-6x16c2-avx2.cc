// int8 GEMM tile for AVX2 CPUs without VNNI (Haswell .. Comet Lake, Zen 1-3): 6 rows x 16
// columns. Exact for all inputs: both operands are widened to int16 at packing time and
// multiplied with vpmaddwd (int16*int16 pairs summed into int32), so nothing saturates.
// vpmaddubsw would be the same speed per uop here but saturates when a pair of u8*s8
// products passes 32767 (A=255, B=-128). Matches lb_qgemm_ref.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstring>

#include "../tile-store.h"

namespace lowbit {
namespace {

constexpr int MR = 6, NR = 16, KR = 2;

template <int R>
void tile(size_t nr_used, size_t kp, const int16_t* a, const int16_t* b, const QgemmTileOut& out) {
  constexpr int KU = R <= 2 ? 2 : 1;  // more independent chains when rows are few
  __m256i acc[KU][R][2];
  for (int u = 0; u < KU; ++u)
    for (int r = 0; r < R; ++r) acc[u][r][0] = acc[u][r][1] = _mm256_setzero_si256();
  size_t k = 0;
  auto step = [&](int u) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 16));
    for (int r = 0; r < R; ++r) {
      int32_t pair;
      std::memcpy(&pair, a + r * KR, 4);
      const __m256i av = _mm256_set1_epi32(pair);
      acc[u][r][0] = _mm256_add_epi32(acc[u][r][0], _mm256_madd_epi16(av, b0));
      acc[u][r][1] = _mm256_add_epi32(acc[u][r][1], _mm256_madd_epi16(av, b1));
    }
    a += MR * KR;
    b += NR * KR;
  };
#pragma GCC unroll 2
  for (; k + KU * KR <= kp; k += KU * KR)
    for (int u = 0; u < KU; ++u) step(u);
  for (; k < kp; k += KR) step(0);
  if (KU == 2)
    for (int r = 0; r < R; ++r) {
      acc[0][r][0] = _mm256_add_epi32(acc[0][r][0], acc[KU - 1][r][0]);
      acc[0][r][1] = _mm256_add_epi32(acc[0][r][1], acc[KU - 1][r][1]);
    }

  if (nr_used < static_cast<size_t>(NR)) {
    alignas(32) int32_t tmp[R][NR];
    for (int r = 0; r < R; ++r) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(&tmp[r][0]), acc[0][r][0]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(&tmp[r][8]), acc[0][r][1]);
    }
    qgemm_store_tile(&tmp[0][0], NR, R, nr_used, out);
    return;
  }
  const __m256i cs0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(out.col_sum));
  const __m256i cs1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(out.col_sum + 8));
  for (int r = 0; r < R; ++r) {
    const __m256i ro = _mm256_set1_epi32(out.row_offset[r]);
    const __m256i rz = _mm256_set1_epi32(out.row_zp[r]);
    const __m256i v0 = _mm256_sub_epi32(_mm256_add_epi32(acc[0][r][0], ro), _mm256_mullo_epi32(rz, cs0));
    const __m256i v1 = _mm256_sub_epi32(_mm256_add_epi32(acc[0][r][1], ro), _mm256_mullo_epi32(rz, cs1));
    if (out.c) {
      int32_t* c = out.c + r * out.ldc;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), v0);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + 8), v1);
    } else {
      const __m256 rs = _mm256_set1_ps(out.row_scale[r]);
      __m256 f0 = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(v0), rs), _mm256_loadu_ps(out.col_scale));
      __m256 f1 = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(v1), rs), _mm256_loadu_ps(out.col_scale + 8));
      if (out.bias) {
        f0 = _mm256_add_ps(f0, _mm256_loadu_ps(out.bias));
        f1 = _mm256_add_ps(f1, _mm256_loadu_ps(out.bias + 8));
      }
      float* y = out.y + r * out.ldc;
      _mm256_storeu_ps(y, f0);
      _mm256_storeu_ps(y + 8, f1);
    }
  }
}

}  // namespace

void lb_u8_s8_s32_gemm_ukernel_6x16c2__avx2(size_t mr_used, size_t nr_used, size_t kp,
                                            const void* a_packed, const void* b_panel,
                                            const QgemmTileOut& out) {
  const auto* a = static_cast<const int16_t*>(a_packed);
  const auto* b = static_cast<const int16_t*>(b_panel);
  switch (mr_used) {
    case 1: return tile<1>(nr_used, kp, a, b, out);
    case 2: return tile<2>(nr_used, kp, a, b, out);
    case 3: return tile<3>(nr_used, kp, a, b, out);
    case 4: return tile<4>(nr_used, kp, a, b, out);
    case 5: return tile<5>(nr_used, kp, a, b, out);
    default: return tile<MR>(nr_used, kp, a, b, out);
  }
}

}  // namespace lowbit
#endif
