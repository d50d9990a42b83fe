// Portable int4-weight x int8-activation GEMM tile on the packed panel layout of ukernels.h:
// the path for CPUs without a SIMD int4 kernel. Matches lb_linear_qb4_ref bit for bit.
#include <cstring>

#include "../../include/lowbit/formats.h"
#include "../tile-store.h"

namespace lowbit {

void lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__scalar(const Qb4GemmArgs& a) {
  constexpr size_t MR = 4, NR = kQb4Nr;
  const size_t record = qb4_record_bytes(a.g, a.fp16_scales, a.symmetric);
  float acc[MR][NR] = {};
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    const uint8_t* scales = rec + a.g * 8;
    const uint8_t* zps = scales + NR * (a.fp16_scales ? 2 : 4);
    for (size_t m = 0; m < a.mr_used; ++m) {
      const int8_t* xq = a.xq + m * a.blocks * a.g + b * a.g;
      int32_t dot[NR] = {};
      for (size_t t = 0; t < a.g / 8; ++t)
        for (size_t c = 0; c < NR; ++c)
          for (size_t j = 0; j < 4; ++j) {
            const uint8_t v = rec[t * 64 + c * 4 + j];
            dot[c] += xq[8 * t + j] * (v & 0x0F) + xq[8 * t + 4 + j] * (v >> 4);
          }
      const float sx = a.sx[m * a.blocks + b];
      const int32_t xsum = a.xsum[m * a.blocks + b];
      for (size_t c = 0; c < NR; ++c) {
        float sw;
        if (a.fp16_scales) {
          uint16_t h;
          std::memcpy(&h, scales + 2 * c, 2);
          sw = fp16_to_fp32(h);
        } else {
          std::memcpy(&sw, scales + 4 * c, 4);
        }
        const int32_t zp = a.symmetric ? 8 : zps[c];
        acc[m][c] += static_cast<float>(dot[c] - zp * xsum) * (sx * sw);
      }
    }
  }
  store_rows_bias(&acc[0][0], NR, a.mr_used, a.nr_used, a.y, a.ldy, a.bias);
}

}  // namespace lowbit
