// Blockwise int4 -> float for one row on AArch64: 16 values per step (8 bytes, nibbles
// interleaved with vzip so element 2j precedes 2j+1). Matches lb_dequantize_qb4_row_ref.
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../../include/lowbit/formats.h"
#include "../ukernels.h"

namespace lowbit {

void lb_qb4_f32_dequantize_row__neon(const uint8_t* data, const void* scales, const uint8_t* zps, size_t K,
                                     size_t g, bool fp16_scales, float* y) {
  for (size_t b = 0, k0 = 0; k0 < K; ++b, k0 += g) {
    const float s = fp16_scales ? fp16_to_fp32(static_cast<const uint16_t*>(scales)[b]) : static_cast<const float*>(scales)[b];
    const int zp = zps ? (zps[b / 2] >> (4 * (b % 2))) & 0x0F : 8;
    const float32x4_t scale = vdupq_n_f32(s);
    const int16x8_t zpv = vdupq_n_s16(static_cast<int16_t>(zp));
    const uint8_t* d = data + b * (g / 2);
    const size_t n = K - k0 < g ? K - k0 : g;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
      const uint8x8_t v = vld1_u8(d + j / 2);
      const uint8x8x2_t z = vzip_u8(vand_u8(v, vdup_n_u8(0x0F)), vshr_n_u8(v, 4));  // e0 e1 e2 ...
      const int16x8_t q0 = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(z.val[0])), zpv);
      const int16x8_t q1 = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(z.val[1])), zpv);
      float* out = y + k0 + j;
      vst1q_f32(out, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(q0))), scale));
      vst1q_f32(out + 4, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(q0))), scale));
      vst1q_f32(out + 8, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(q1))), scale));
      vst1q_f32(out + 12, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(q1))), scale));
    }
    for (; j < n; ++j) y[k0 + j] = static_cast<float>(((d[j / 2] >> (4 * (j % 2))) & 0x0F) - zp) * s;
  }
}

}  // namespace lowbit
#endif
