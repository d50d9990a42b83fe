// int8 GEMM tile for armv8.6-a i8mm CPUs (Apple M2 and later, Graviton 3, Cortex-A710+):
// usmmla multiplies a 2x8 u8 block by an 8x2 s8 block into a 2x2 int32 tile, so A needs no
// shift (u8 * s8 natively). 8 rows x 8 columns, 8 k per step. Matches lb_qgemm_ref.
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../tile-store.h"

namespace lowbit {
namespace {

constexpr int MR = 8, NR = 8, KR = 8;

// P row pairs (rows 2p, 2p+1); A is packed [k/8][8 rows][8 k], B [k/8][8 cols][8 k].
template <int P>
void tile(size_t mr_used, size_t nr_used, size_t kp, const uint8_t* a, const int8_t* b,
          const QgemmTileOut& out) {
  int32x4_t acc[P][4];
  for (int p = 0; p < P; ++p)
    for (int q = 0; q < 4; ++q) acc[p][q] = vdupq_n_s32(0);
  for (size_t k = 0; k < kp; k += KR) {
    int8x16_t bq[4];
    for (int q = 0; q < 4; ++q) bq[q] = vld1q_s8(b + 16 * q);
    for (int p = 0; p < P; ++p) {
      const uint8x16_t ap = vld1q_u8(a + 16 * p);
      for (int q = 0; q < 4; ++q) acc[p][q] = vusmmlaq_s32(acc[p][q], ap, bq[q]);
    }
    a += MR * KR;
    b += NR * KR;
  }
  // acc[p][q] = [r0c0 r0c1 r1c0 r1c1] for rows 2p.. and columns 2q..: de-interleave to rows.
  int32_t tmp[2 * P][NR];
  for (int p = 0; p < P; ++p) {
    for (int h = 0; h < 2; ++h) {
      const int64x2_t q01_lo = vreinterpretq_s64_s32(acc[p][0]);
      const int64x2_t q01_hi = vreinterpretq_s64_s32(acc[p][1]);
      const int64x2_t q23_lo = vreinterpretq_s64_s32(acc[p][2]);
      const int64x2_t q23_hi = vreinterpretq_s64_s32(acc[p][3]);
      const int64x2_t c0 = h == 0 ? vzip1q_s64(q01_lo, q01_hi) : vzip2q_s64(q01_lo, q01_hi);
      const int64x2_t c1 = h == 0 ? vzip1q_s64(q23_lo, q23_hi) : vzip2q_s64(q23_lo, q23_hi);
      vst1q_s32(&tmp[2 * p + h][0], vreinterpretq_s32_s64(c0));
      vst1q_s32(&tmp[2 * p + h][4], vreinterpretq_s32_s64(c1));
    }
  }
  qgemm_store_tile(&tmp[0][0], NR, mr_used, nr_used, out);
}

}  // namespace

void lb_u8_s8_s32_gemm_ukernel_8x8c8__i8mm(size_t mr_used, size_t nr_used, size_t kp,
                                           const void* a_packed, const void* b_panel,
                                           const QgemmTileOut& out) {
  const auto* a = static_cast<const uint8_t*>(a_packed);
  const auto* b = static_cast<const int8_t*>(b_panel);
  switch ((mr_used + 1) / 2) {
    case 1: return tile<1>(mr_used, nr_used, kp, a, b, out);
    case 2: return tile<2>(mr_used, nr_used, kp, a, b, out);
    case 3: return tile<3>(mr_used, nr_used, kp, a, b, out);
    default: return tile<4>(mr_used, nr_used, kp, a, b, out);
  }
}

}  // namespace lowbit
#endif
