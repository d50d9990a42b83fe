// int4-weight x int8-activation GEMM tile for armv8.2-a dot-product CPUs (Apple M1 and later,
// Graviton 2+): 16 columns as four q registers of 4 columns x 4 k, up to 2 rows. The weights
// (0..15) are valid int8, so sdot multiplies them by the int8 activations directly: exact.
// Matches lb_linear_qb4_ref bit for bit (separate multiply and add, no fused fmla).
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../tile-store.h"

namespace lowbit {
namespace {

// Mins: ggml q4_1 (scale d and minimum m per block, float16) instead of zero points.
template <int R, bool Mins>
void tile(const Qb4GemmArgs& a) {
  const size_t record = Mins ? q41_record_bytes() : qb4_record_bytes(a.g, a.fp16_scales, a.symmetric);
  const size_t groups = a.g / 8, xstride = a.blocks * a.g;
  const uint8x16_t nibble = vdupq_n_u8(0x0F);
  float32x4_t acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < 4; ++q) acc[r][q] = vdupq_n_f32(0.f);
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    int32x4_t dot[R][4];
    for (int r = 0; r < R; ++r)
      for (int q = 0; q < 4; ++q) dot[r][q] = vdupq_n_s32(0);
    const int8_t* xb = a.xq + b * a.g;
    for (size_t t = 0; t < groups; ++t) {
      int8x8_t x[R];
      for (int r = 0; r < R; ++r) x[r] = vld1_s8(xb + r * xstride + 8 * t);
      for (int q = 0; q < 4; ++q) {
        const uint8x16_t v = vld1q_u8(rec + 64 * t + 16 * q);
        const int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(v, nibble));
        const int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(v, 4));
        for (int r = 0; r < R; ++r) {
          dot[r][q] = vdotq_lane_s32(dot[r][q], lo, x[r], 0);  // k0..k0+3
          dot[r][q] = vdotq_lane_s32(dot[r][q], hi, x[r], 1);  // k0+4..k0+7
        }
      }
    }
    const uint8_t* sp = rec + a.g * 8;
    if constexpr (Mins) {
      for (int q = 0; q < 4; ++q) {
        const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(sp) + 4 * q)));
        const float32x4_t mn = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(sp) + 16 + 4 * q)));
        for (int r = 0; r < R; ++r) {
          const float32x4_t sx = vdupq_n_f32(a.sx[r * a.blocks + b]);
          const float32x4_t t1 = vmulq_f32(vcvtq_f32_s32(dot[r][q]), vmulq_f32(sx, d));
          const float32x4_t t2 = vmulq_f32(vdupq_n_f32(static_cast<float>(a.xsum[r * a.blocks + b])), vmulq_f32(sx, mn));
          acc[r][q] = vaddq_f32(acc[r][q], vaddq_f32(t1, t2));
        }
      }
      continue;
    }
    float32x4_t sw[4];
    int32x4_t zp[4];
    const uint8_t* zps = sp + kQb4Nr * (a.fp16_scales ? 2 : 4);
    const uint8x16_t zb = a.symmetric ? vdupq_n_u8(0) : vld1q_u8(zps);
    const uint16x8_t z01 = vmovl_u8(vget_low_u8(zb)), z23 = vmovl_u8(vget_high_u8(zb));
    zp[0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(z01)));
    zp[1] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(z01)));
    zp[2] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(z23)));
    zp[3] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(z23)));
    for (int q = 0; q < 4; ++q) {
      if (a.fp16_scales) sw[q] = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(sp) + 4 * q)));
      else sw[q] = vld1q_f32(reinterpret_cast<const float*>(sp) + 4 * q);
    }
    for (int r = 0; r < R; ++r) {
      const int32_t xsum = a.xsum[r * a.blocks + b];
      const float32x4_t sx = vdupq_n_f32(a.sx[r * a.blocks + b]);
      for (int q = 0; q < 4; ++q) {
        const int32x4_t corr = a.symmetric ? vdupq_n_s32(8 * xsum) : vmulq_n_s32(zp[q], xsum);
        const float32x4_t t = vmulq_f32(vcvtq_f32_s32(vsubq_s32(dot[r][q], corr)), vmulq_f32(sx, sw[q]));
        acc[r][q] = vaddq_f32(acc[r][q], t);
      }
    }
  }
  float tmp[16];
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < 4; ++q) vst1q_f32(tmp + 4 * q, acc[r][q]);
    float* y = a.y + r * a.ldy;
    for (size_t c = 0; c < a.nr_used; ++c) y[c] = a.bias ? tmp[c] + a.bias[c] : tmp[c];
  }
}

}  // namespace

void lb_qd8_f32_qb4w_gemm_ukernel_2x16c8__neondot(const Qb4GemmArgs& a) {
  for_row_chunks(a, 2, [](const Qb4GemmArgs& s) { s.mr_used == 1 ? tile<1, false>(s) : tile<2, false>(s); });
}

void lb_qd8_f32_q41w_gemm_ukernel_2x16c8__neondot(const Qb4GemmArgs& a) {
  for_row_chunks(a, 2, [](const Qb4GemmArgs& s) { s.mr_used == 1 ? tile<1, true>(s) : tile<2, true>(s); });
}

}  // namespace lowbit
#endif
