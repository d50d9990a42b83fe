// int4-weight (and ggml q4_1 / q8_0) x int8-activation GEMM tiles for AVX-VNNI CPUs (see
// qb4w-gemm-4x16c8-ymm.h): VEX vpdpbusd multiplies the unsigned operand (nibbles 0..15, or
// q8_0's w + 128) by the signed activations and adds four products per lane straight into int32:
// exact; q8_0 then takes 128·Σx back out.
#if defined(__x86_64__) || defined(_M_X64)
#include "../qb4w-gemm-4x16c8-ymm.h"

namespace lowbit {
namespace {

struct VnniDot {
  static constexpr int32_t kQ8Offset = 128;
  static __m256i add(__m256i acc, __m256i lo, __m256i x0, __m256i hi, __m256i x1) {
    return _mm256_dpbusd_avx_epi32(_mm256_dpbusd_avx_epi32(acc, lo, x0), hi, x1);
  }
  static __m256i add8(__m256i acc, __m256i w_plus_128, __m256i x) { return _mm256_dpbusd_avx_epi32(acc, w_plus_128, x); }
};

}  // namespace

void lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__avxvnni(const Qb4GemmArgs& a) { qb4w_gemm_4x16c8_ymm<VnniDot, false>(a); }
void lb_qd8_f32_q41w_gemm_ukernel_4x16c8__avxvnni(const Qb4GemmArgs& a) { qb4w_gemm_4x16c8_ymm<VnniDot, true>(a); }
void lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__avxvnni(const Qb4GemmArgs& a) { qb8w_gemm_4x16c4_ymm<VnniDot>(a); }

}  // namespace lowbit
#endif
