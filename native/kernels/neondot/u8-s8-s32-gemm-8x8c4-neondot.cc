// int8 GEMM tile for armv8.2-a dot-product CPUs (Apple M1, Cortex-A76+, Graviton 2+): sdot
// by lane, 8 rows x 8 columns, 4 k per lane. sdot multiplies s8 by s8 only, so A arrives
// shifted to int8 (Au - 128) and the driver adds 128 * column sums back (QgemmAFormat::
// s8_shifted). Exact: four s8*s8 products sum into int32. Matches lb_qgemm_ref.
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../tile-store.h"

namespace lowbit {
namespace {

constexpr int MR = 8, NR = 8, KR = 4;

template <int R>
void tile(size_t nr_used, size_t kp, const int8_t* a, const int8_t* b, const QgemmTileOut& out) {
  int32x4_t acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = vdupq_n_s32(0);
  for (size_t k = 0; k < kp; k += KR) {
    const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16);
    const int8x16_t a0 = vld1q_s8(a);
#define LB_DOT(r, av, lane)                                   \
  if constexpr (R > r) {                                      \
    acc[r][0] = vdotq_laneq_s32(acc[r][0], b0, av, lane);     \
    acc[r][1] = vdotq_laneq_s32(acc[r][1], b1, av, lane);     \
  }
    LB_DOT(0, a0, 0) LB_DOT(1, a0, 1) LB_DOT(2, a0, 2) LB_DOT(3, a0, 3)
    if constexpr (R > 4) {
      const int8x16_t a1 = vld1q_s8(a + 16);
      LB_DOT(4, a1, 0) LB_DOT(5, a1, 1) LB_DOT(6, a1, 2) LB_DOT(7, a1, 3)
    }
#undef LB_DOT
    a += MR * KR;
    b += NR * KR;
  }
  int32_t tmp[R][NR];
  for (int r = 0; r < R; ++r) {
    vst1q_s32(&tmp[r][0], acc[r][0]);
    vst1q_s32(&tmp[r][4], acc[r][1]);
  }
  qgemm_store_tile(&tmp[0][0], NR, R, nr_used, out);
}

}  // namespace

void lb_u8_s8_s32_gemm_ukernel_8x8c4__neondot(size_t mr_used, size_t nr_used, size_t kp,
                                              const void* a_packed, const void* b_panel,
                                              const QgemmTileOut& out) {
  const auto* a = static_cast<const int8_t*>(a_packed);
  const auto* b = static_cast<const int8_t*>(b_panel);
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
