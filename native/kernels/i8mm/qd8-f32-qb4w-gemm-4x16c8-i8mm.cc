// int4-weight x int8-activation GEMM tile for armv8.6-a i8mm CPUs (Apple M2 and later,
// Graviton 3, Cortex-A710+), up to 4 rows x 16 columns. smmla multiplies a 2x8 block of
// activations by an 8x2 block of weights: twice sdot's work per instruction. Each 64-byte
// group holds, per column, k0..k0+3 in low nibbles and k0+4..k0+7 in high nibbles; zipping
// the two 32-bit lanes of a column gives its 8 k in order, two columns per register.
// Weights (0..15) are valid int8, so smmla (s8 x s8) is exact.
// Matches lb_linear_qb4_ref bit for bit (separate multiply and add, no fused fmla).
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../ukernels.h"

namespace lowbit {
namespace {

// P row pairs (rows 2p, 2p + 1; a missing second row reads the first row again and is not
// stored). Accumulator [p][j] holds rows (2p, 2p+1) x columns (2j, 2j+1) as r0c0 r0c1 r1c0 r1c1.
template <int P>
void tile(const Qb4GemmArgs& a) {
  const size_t record = qb4_record_bytes(a.g, a.fp16_scales, a.symmetric);
  const size_t groups = a.g / 8, xstride = a.blocks * a.g;
  const uint8x16_t nibble = vdupq_n_u8(0x0F);
  float32x4_t acc[P][8];
  for (int p = 0; p < P; ++p)
    for (int j = 0; j < 8; ++j) acc[p][j] = vdupq_n_f32(0.f);
  const size_t rows = a.mr_used;
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    int32x4_t dot[P][8];
    for (int p = 0; p < P; ++p)
      for (int j = 0; j < 8; ++j) dot[p][j] = vdupq_n_s32(0);
    const int8_t* xb = a.xq + b * a.g;
    for (size_t t = 0; t < groups; ++t) {
      int8x16_t x[P];
      for (int p = 0; p < P; ++p) {
        const size_t r0 = 2 * p, r1 = 2 * p + 1 < rows ? 2 * p + 1 : 2 * p;
        x[p] = vcombine_s8(vld1_s8(xb + r0 * xstride + 8 * t), vld1_s8(xb + r1 * xstride + 8 * t));
      }
      for (int q = 0; q < 4; ++q) {  // columns 4q .. 4q + 3
        const uint8x16_t v = vld1q_u8(rec + 64 * t + 16 * q);
        const uint32x4_t lo = vreinterpretq_u32_u8(vandq_u8(v, nibble));
        const uint32x4_t hi = vreinterpretq_u32_u8(vshrq_n_u8(v, 4));
        const int8x16_t w01 = vreinterpretq_s8_u32(vzip1q_u32(lo, hi));  // columns 4q, 4q+1
        const int8x16_t w23 = vreinterpretq_s8_u32(vzip2q_u32(lo, hi));  // columns 4q+2, 4q+3
        for (int p = 0; p < P; ++p) {
          dot[p][2 * q] = vmmlaq_s32(dot[p][2 * q], x[p], w01);
          dot[p][2 * q + 1] = vmmlaq_s32(dot[p][2 * q + 1], x[p], w23);
        }
      }
    }
    const uint8_t* sp = rec + a.g * 8;
    const uint8_t* zps = sp + kQb4Nr * (a.fp16_scales ? 2 : 4);
    for (int j = 0; j < 8; ++j) {  // column pair (2j, 2j + 1)
      float sw[2];
      int32_t zp[2];
      for (int e = 0; e < 2; ++e) {
        const size_t c = 2 * j + e;
        if (a.fp16_scales) sw[e] = vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_dup_u16(reinterpret_cast<const uint16_t*>(sp) + c))), 0);
        else sw[e] = reinterpret_cast<const float*>(sp)[c];
        zp[e] = a.symmetric ? 8 : zps[c];
      }
      for (int p = 0; p < P; ++p) {
        const size_t r0 = 2 * p, r1 = 2 * p + 1 < rows ? 2 * p + 1 : 2 * p;
        const int32_t s0 = a.xsum[r0 * a.blocks + b], s1 = a.xsum[r1 * a.blocks + b];
        const float x0 = a.sx[r0 * a.blocks + b], x1 = a.sx[r1 * a.blocks + b];
        // Lanes: (r0, c0) (r0, c1) (r1, c0) (r1, c1).
        const int32_t corr_v[4] = {zp[0] * s0, zp[1] * s0, zp[0] * s1, zp[1] * s1};
        const float scale_v[4] = {x0 * sw[0], x0 * sw[1], x1 * sw[0], x1 * sw[1]};
        const float32x4_t t = vmulq_f32(vcvtq_f32_s32(vsubq_s32(dot[p][j], vld1q_s32(corr_v))), vld1q_f32(scale_v));
        acc[p][j] = vaddq_f32(acc[p][j], t);
      }
    }
  }
  for (int p = 0; p < P; ++p) {
    float tile_out[2][16];
    for (int j = 0; j < 8; ++j) {
      float lanes[4];
      vst1q_f32(lanes, acc[p][j]);
      tile_out[0][2 * j] = lanes[0];
      tile_out[0][2 * j + 1] = lanes[1];
      tile_out[1][2 * j] = lanes[2];
      tile_out[1][2 * j + 1] = lanes[3];
    }
    for (size_t h = 0; h < 2 && 2 * p + h < rows; ++h) {
      float* y = a.y + (2 * p + h) * a.ldy;
      for (size_t c = 0; c < a.nr_used; ++c) y[c] = a.bias ? tile_out[h][c] + a.bias[c] : tile_out[h][c];
    }
  }
}

}  // namespace

void lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__i8mm(const Qb4GemmArgs& a) {
  if (a.mr_used <= 2) tile<1>(a);
  else tile<2>(a);
}

}  // namespace lowbit
#endif
