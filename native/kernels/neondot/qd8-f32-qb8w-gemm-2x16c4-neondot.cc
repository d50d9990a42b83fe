// ggml q8_0-weight x int8-activation GEMM tile for armv8.2-a dot-product CPUs: 16 columns as
// four q registers, up to 2 rows, 4 k per group. The panel stores weights + 128 (for x86's
// unsigned operand); xor 0x80 gives the int8 weights back for sdot, so no correction is needed.
// Matches lb_linear_q8_0_ref bit for bit.
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../tile-store.h"

namespace lowbit {
namespace {

template <int R>
void tile(const Qb4GemmArgs& a) {
  constexpr size_t g = 32;
  const size_t record = qb8_record_bytes(), xstride = a.blocks * g;
  const uint8x16_t flip = vdupq_n_u8(0x80);
  float32x4_t acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < 4; ++q) acc[r][q] = vdupq_n_f32(0.f);
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    int32x4_t dot[R][4];
    for (int r = 0; r < R; ++r)
      for (int q = 0; q < 4; ++q) dot[r][q] = vdupq_n_s32(0);
    const int8_t* xb = a.xq + b * g;
    for (size_t t = 0; t < g / 4; t += 2) {
      int8x8_t x[R];
      for (int r = 0; r < R; ++r) x[r] = vld1_s8(xb + r * xstride + 4 * t);  // k0..k0+7
      for (int q = 0; q < 4; ++q) {
        const int8x16_t w0 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(rec + 64 * t + 16 * q), flip));
        const int8x16_t w1 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(rec + 64 * (t + 1) + 16 * q), flip));
        for (int r = 0; r < R; ++r) {
          dot[r][q] = vdotq_lane_s32(dot[r][q], w0, x[r], 0);
          dot[r][q] = vdotq_lane_s32(dot[r][q], w1, x[r], 1);
        }
      }
    }
    const uint16_t* dp = reinterpret_cast<const uint16_t*>(rec + g * 16);
    for (int q = 0; q < 4; ++q) {
      const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(dp + 4 * q)));
      for (int r = 0; r < R; ++r) {
        const float32x4_t scale = vmulq_f32(vdupq_n_f32(a.sx[r * a.blocks + b]), d);
        acc[r][q] = vaddq_f32(acc[r][q], vmulq_f32(vcvtq_f32_s32(dot[r][q]), scale));
      }
    }
  }
  float out[R][16];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < 4; ++q) vst1q_f32(&out[r][4 * q], acc[r][q]);
  store_rows_bias(&out[0][0], 16, a.mr_used, a.nr_used, a.y, a.ldy, a.bias);
}

}  // namespace

void lb_qd8_f32_qb8w_gemm_ukernel_2x16c4__neondot(const Qb4GemmArgs& a) {
  for_row_chunks(a, 2, [](const Qb4GemmArgs& s) { s.mr_used == 1 ? tile<1>(s) : tile<2>(s); });
}

}  // namespace lowbit
#endif
