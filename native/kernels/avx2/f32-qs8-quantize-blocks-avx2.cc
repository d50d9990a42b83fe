// Per-(row, block) symmetric int8 activations for the int4 and ggml linears on AVX2 (and the
// AVX-VNNI tier, which shares it): 8 floats per step, masked tails. Matches
// lb_quantize_rows_q8_blocks_ref exactly (|x / sx| <= 127, and vcvtps2dq rounds half to even
// like nearbyint).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../quantize-rows.h"
#include "../ukernels.h"

namespace lowbit {
namespace {

// Lanes [0, n) of 8 (n clamped to 0..8): loads there, zeros elsewhere.
__m256 load_first(const float* p, size_t n) {
  if (n >= 8) return _mm256_loadu_ps(p);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lane));
}

float max8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

int32_t sum8(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// Eight int32 in [-127, 127] to eight bytes.
void store8(int8_t* q, __m256i r) {
  const __m256i w = _mm256_packs_epi16(_mm256_packs_epi32(r, r), _mm256_setzero_si256());  // bytes 0-3 per half
  _mm_storel_epi64(reinterpret_cast<__m128i*>(q),
                   _mm_unpacklo_epi32(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1)));
}

}  // namespace

void lb_f32_qs8_quantize_blocks__avx2(const float* x, size_t M, size_t K, size_t g, int8_t* xq, float* sx,
                                      int32_t* sum) {
  const __m256 sign = _mm256_set1_ps(-0.f);
  auto row_bad = [](const float* row, size_t K) {
    __m256 bad = _mm256_setzero_ps();
    for (size_t k = 0; k < K; k += 8) {
      const __m256 v = load_first(row + k, K - k);
      bad = _mm256_add_ps(bad, _mm256_sub_ps(v, v));  // NaN from any NaN or ±Inf
    }
    return _mm256_movemask_ps(_mm256_cmp_ps(bad, bad, _CMP_UNORD_Q)) != 0;
  };
  auto block = [&](const float* v, size_t n, size_t g, int8_t* q, int32_t* total) {
    __m256 amax = _mm256_setzero_ps();
    for (size_t j = 0; j < g; j += 8)  // g is a multiple of 16; past n the loads are zeros
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, load_first(v + j, j >= n ? 0 : n - j)));
    const float s = max8(amax) / 127.f;
    const __m256 inv = _mm256_set1_ps(s != 0.f ? 1.f / s : 0.f);
    __m256i t = _mm256_setzero_si256();
    for (size_t j = 0; j < g; j += 8) {
      const __m256i r = _mm256_cvtps_epi32(_mm256_mul_ps(load_first(v + j, j >= n ? 0 : n - j), inv));
      t = _mm256_add_epi32(t, r);
      store8(q + j, r);
    }
    *total = sum8(t);
    return s;
  };
  q8_blocks_rows(x, M, K, g, xq, sx, sum, row_bad, block);
}

}  // namespace lowbit
#endif
