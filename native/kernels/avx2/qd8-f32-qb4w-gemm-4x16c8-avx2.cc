// int4-weight (and ggml q4_1 / q8_0) x int8-activation GEMM tiles for AVX2 CPUs (see
// qb4w-gemm-4x16c8-ymm.h). Nibbles: vpmaddubsw multiplies the weights (0..15, unsigned) by the
// activations (signed): a pair sum is at most 2 * 15 * 128 = 3840, far from int16 saturation, so
// it is exact; low and high nibbles are added in int16 (at most 4 * 15 * 128 = 7680: still
// exact), then vpmaddwd with ones widens to int32 once. q8_0: the signed weights (w + 128 with
// the top bit flipped back) go through vpsignb so vpmaddubsw sees |w| (unsigned, <= 128) and
// x·sign(w): a pair sum is at most 2 * 128 * 127 = 32512 (activations are within ±127): exact.
#if defined(__x86_64__) || defined(_M_X64)
#include "../qb4w-gemm-4x16c8-ymm.h"

namespace lowbit {
namespace {

struct MaddubsDot {
  static constexpr int32_t kQ8Offset = 0;
  static __m256i add(__m256i acc, __m256i lo, __m256i x0, __m256i hi, __m256i x1) {
    const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x0), _mm256_maddubs_epi16(hi, x1));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
  }
  static __m256i add8(__m256i acc, __m256i w_plus_128, __m256i x) {
    const __m256i w = _mm256_xor_si256(w_plus_128, _mm256_set1_epi8(static_cast<char>(0x80)));
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
  }
};

}  // namespace

void lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__avx2(const Qb4GemmArgs& a) { qb4w_gemm_4x16c8_ymm<MaddubsDot, false>(a); }
void lb_qd8_f32_q41w_gemm_ukernel_4x16c8__avx2(const Qb4GemmArgs& a) { qb4w_gemm_4x16c8_ymm<MaddubsDot, true>(a); }
void lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__avx2(const Qb4GemmArgs& a) { qb8w_gemm_4x16c4_ymm<MaddubsDot>(a); }

}  // namespace lowbit
#endif
