// Portable GEMM tiles for ggml q4_1 and q8_0 weights on the panel layouts of ukernels.h.
// Match lb_linear_q4_1_ref / lb_linear_q8_0_ref bit for bit.
#include <cstring>

#include "../../include/lowbit/formats.h"
#include "../tile-store.h"

namespace lowbit {
namespace {

float half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16_to_fp32(h);
}

}  // namespace

void lb_qd8_f32_q41w_gemm_ukernel_4x16c8__scalar(const Qb4GemmArgs& a) {
  constexpr size_t NR = kQb4Nr;
  const size_t g = kGgmlBlock, record = q41_record_bytes();
  float acc[4][NR] = {};
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    const uint8_t* d = rec + g * 8;
    const uint8_t* mins = d + NR * 2;
    for (size_t m = 0; m < a.mr_used; ++m) {
      const int8_t* xq = a.xq + m * a.blocks * g + b * g;
      int32_t dot[NR] = {};
      for (size_t t = 0; t < g / 8; ++t)
        for (size_t c = 0; c < NR; ++c)
          for (size_t j = 0; j < 4; ++j) {
            const uint8_t v = rec[t * 64 + c * 4 + j];
            dot[c] += xq[8 * t + j] * (v & 0x0F) + xq[8 * t + 4 + j] * (v >> 4);
          }
      const float sx = a.sx[m * a.blocks + b];
      const int32_t xsum = a.xsum[m * a.blocks + b];
      for (size_t c = 0; c < NR; ++c) {
        const float t1 = static_cast<float>(dot[c]) * (sx * half(d + 2 * c));
        const float t2 = static_cast<float>(xsum) * (sx * half(mins + 2 * c));
        acc[m][c] += t1 + t2;
      }
    }
  }
  store_rows_bias(&acc[0][0], NR, a.mr_used, a.nr_used, a.y, a.ldy, a.bias);
}

void lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__scalar(const Qb4GemmArgs& a) {
  constexpr size_t NR = kQb4Nr;
  const size_t g = kGgmlBlock, record = qb8_record_bytes();
  float acc[4][NR] = {};
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    const uint8_t* d = rec + g * 16;
    for (size_t m = 0; m < a.mr_used; ++m) {
      const int8_t* xq = a.xq + m * a.blocks * g + b * g;
      int32_t dot[NR] = {};
      for (size_t t = 0; t < g / 4; ++t)
        for (size_t c = 0; c < NR; ++c)
          for (size_t j = 0; j < 4; ++j) dot[c] += xq[4 * t + j] * rec[t * 64 + c * 4 + j];  // w + 128
      const float sx = a.sx[m * a.blocks + b];
      const int32_t xsum = a.xsum[m * a.blocks + b];
      for (size_t c = 0; c < NR; ++c)
        acc[m][c] += static_cast<float>(dot[c] - 128 * xsum) * (sx * half(d + 2 * c));
    }
  }
  store_rows_bias(&acc[0][0], NR, a.mr_used, a.nr_used, a.y, a.ldy, a.bias);
}

}  // namespace lowbit
