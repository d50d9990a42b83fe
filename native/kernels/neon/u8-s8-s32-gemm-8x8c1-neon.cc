// int8 GEMM tile for armv8-a NEON without dot product (Cortex-A53/A72, Graviton 1): both
// operands widened to int16 at packing time, smlal int16*int16 -> int32: exact, no saturation.
// Matches lb_qgemm_ref.
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../tile-store.h"

namespace lowbit {
namespace {

constexpr int MR = 8, NR = 8;

template <int R>
void tile(size_t nr_used, size_t kp, const int16_t* a, const int16_t* b, const QgemmTileOut& out) {
  int32x4_t acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = vdupq_n_s32(0);
  for (size_t k = 0; k < kp; ++k) {
    const int16x8_t bv = vld1q_s16(b);
    const int16x4_t blo = vget_low_s16(bv);
    for (int r = 0; r < R; ++r) {
      acc[r][0] = vmlal_n_s16(acc[r][0], blo, a[r]);
      acc[r][1] = vmlal_high_n_s16(acc[r][1], bv, a[r]);
    }
    a += MR;
    b += NR;
  }
  int32_t tmp[R][NR];
  for (int r = 0; r < R; ++r) {
    vst1q_s32(&tmp[r][0], acc[r][0]);
    vst1q_s32(&tmp[r][4], acc[r][1]);
  }
  qgemm_store_tile(&tmp[0][0], NR, R, nr_used, out);
}

}  // namespace

void lb_u8_s8_s32_gemm_ukernel_8x8c1__neon(size_t mr_used, size_t nr_used, size_t kp,
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
    case 6: return tile<6>(nr_used, kp, a, b, out);
    case 7: return tile<7>(nr_used, kp, a, b, out);
    default: return tile<MR>(nr_used, kp, a, b, out);
  }
}

}  // namespace lowbit
#endif
