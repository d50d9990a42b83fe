// int4-weight x int8-activation GEMM tile for armv8-a NEON without dot product (Cortex-A53/
// A72, Graviton 1): smull int8 x int8 -> int16 (at most 15 * 128 per product) and sadalp
// pairwise into int32 keep it exact. Up to 2 rows, 16 columns.
// Matches lb_linear_qb4_ref bit for bit (separate multiply and add, no fused fmla).
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../tile-store.h"

namespace lowbit {
namespace {

template <int R>
void tile(const Qb4GemmArgs& a) {
  const size_t record = qb4_record_bytes(a.g, a.fp16_scales, a.symmetric);
  const size_t groups = a.g / 8, xstride = a.blocks * a.g;
  const uint8x16_t nibble = vdupq_n_u8(0x0F);
  float32x4_t acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < 4; ++q) acc[r][q] = vdupq_n_f32(0.f);
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    // pairs[r][q][h]: int32 lanes (c, k01) (c, k23) (c+1, k01) (c+1, k23) for columns
    // c = 4q + 2h; added pairwise at the end of the block.
    int32x4_t pairs[R][4][2];
    for (int r = 0; r < R; ++r)
      for (int q = 0; q < 4; ++q) pairs[r][q][0] = pairs[r][q][1] = vdupq_n_s32(0);
    const int8_t* xb = a.xq + b * a.g;
    for (size_t t = 0; t < groups; ++t) {
      int8x16_t xlo[R], xhi[R];
      for (int r = 0; r < R; ++r) {
        const int8x8_t x = vld1_s8(xb + r * xstride + 8 * t);
        xlo[r] = vreinterpretq_s8_s32(vdupq_lane_s32(vreinterpret_s32_s8(x), 0));  // k0..3 x 4
        xhi[r] = vreinterpretq_s8_s32(vdupq_lane_s32(vreinterpret_s32_s8(x), 1));  // k4..7 x 4
      }
      for (int q = 0; q < 4; ++q) {
        const uint8x16_t v = vld1q_u8(rec + 64 * t + 16 * q);
        const int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(v, nibble));
        const int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(v, 4));
        for (int r = 0; r < R; ++r) {
          pairs[r][q][0] = vpadalq_s16(pairs[r][q][0], vmull_s8(vget_low_s8(lo), vget_low_s8(xlo[r])));
          pairs[r][q][1] = vpadalq_s16(pairs[r][q][1], vmull_high_s8(lo, xlo[r]));
          pairs[r][q][0] = vpadalq_s16(pairs[r][q][0], vmull_s8(vget_low_s8(hi), vget_low_s8(xhi[r])));
          pairs[r][q][1] = vpadalq_s16(pairs[r][q][1], vmull_high_s8(hi, xhi[r]));
        }
      }
    }
    const uint8_t* sp = rec + a.g * 8;
    const uint8_t* zps = sp + kQb4Nr * (a.fp16_scales ? 2 : 4);
    for (int q = 0; q < 4; ++q) {
      const float32x4_t sw = a.fp16_scales
                                 ? vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(sp) + 4 * q)))
                                 : vld1q_f32(reinterpret_cast<const float*>(sp) + 4 * q);
      int32_t zp4[4];
      for (int c = 0; c < 4; ++c) zp4[c] = a.symmetric ? 8 : zps[4 * q + c];
      const int32x4_t zp = vld1q_s32(zp4);
      for (int r = 0; r < R; ++r) {
        const int32x4_t dot = vpaddq_s32(pairs[r][q][0], pairs[r][q][1]);  // columns 4q .. 4q+3
        const int32x4_t corr = vmulq_n_s32(zp, a.xsum[r * a.blocks + b]);
        const float32x4_t scale = vmulq_f32(vdupq_n_f32(a.sx[r * a.blocks + b]), sw);
        acc[r][q] = vaddq_f32(acc[r][q], vmulq_f32(vcvtq_f32_s32(vsubq_s32(dot, corr)), scale));
      }
    }
  }
  float out[R][16];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < 4; ++q) vst1q_f32(&out[r][4 * q], acc[r][q]);
  store_rows_bias(&out[0][0], 16, a.mr_used, a.nr_used, a.y, a.ldy, a.bias);
}

}  // namespace

void lb_qd8_f32_qb4w_gemm_ukernel_2x16c8__neon(const Qb4GemmArgs& a) {
  for_row_chunks(a, 2, [](const Qb4GemmArgs& s) { s.mr_used == 1 ? tile<1>(s) : tile<2>(s); });
}

}  // namespace lowbit
#endif
