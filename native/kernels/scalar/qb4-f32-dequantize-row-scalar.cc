// Blockwise int4 -> float for one row, portable: block by block, two values per byte.
// Matches lb_dequantize_qb4_row_ref exactly.
#include <cstring>

#include "../../include/lowbit/formats.h"
#include "../ukernels.h"

namespace lowbit {

void lb_qb4_f32_dequantize_row__scalar(const uint8_t* data, const void* scales, const uint8_t* zps, size_t K,
                                       size_t g, bool fp16_scales, float* y) {
  for (size_t b = 0, k0 = 0; k0 < K; ++b, k0 += g) {
    const float s = fp16_scales ? fp16_to_fp32(static_cast<const uint16_t*>(scales)[b])
                                : static_cast<const float*>(scales)[b];
    const int zp = zps ? (zps[b / 2] >> (4 * (b % 2))) & 0x0F : 8;
    const uint8_t* d = data + b * (g / 2);
    const size_t n = K - k0 < g ? K - k0 : g;
    for (size_t j = 0; j < n; ++j) {
      const int q = (d[j / 2] >> (4 * (j % 2))) & 0x0F;
      y[k0 + j] = static_cast<float>(q - zp) * s;
    }
  }
}

}  // namespace lowbit
