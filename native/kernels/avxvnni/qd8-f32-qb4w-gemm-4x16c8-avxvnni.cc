// int4-weight x int8-activation GEMM tile for AVX-VNNI CPUs (see qb4w-gemm-4x16c8-ymm.h):
// VEX vpdpbusd multiplies the weights (0..15, unsigned) by the activations (signed) and adds
// four products per lane straight into int32: exact, and two instructions where AVX2 needs five.
#if defined(__x86_64__) || defined(_M_X64)
#include "../qb4w-gemm-4x16c8-ymm.h"

namespace lowbit {
namespace {

struct VnniDot {
  static __m256i add(__m256i acc, __m256i lo, __m256i x0, __m256i hi, __m256i x1) {
    return _mm256_dpbusd_avx_epi32(_mm256_dpbusd_avx_epi32(acc, lo, x0), hi, x1);
  }
};

}  // namespace

void lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__avxvnni(const Qb4GemmArgs& a) { qb4w_gemm_4x16c8_ymm<VnniDot>(a); }

}  // namespace lowbit
#endif
