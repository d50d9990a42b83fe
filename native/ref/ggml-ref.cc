#include <algorithm>
#include <cfloat>
#include <cmath>

#include "ref.h"

namespace lowbit {

void lb_quantize_row_q4_0_ref(const float* x, block_q4_0* y, size_t n) {
  for (size_t i = 0; i < n / kGgmlBlock; ++i) {
    const float* b = x + i * kGgmlBlock;
    float amax = 0.f, max = 0.f;  // max: the signed value of largest magnitude, first wins
    for (size_t j = 0; j < kGgmlBlock; ++j)
      if (amax < std::fabs(b[j])) {
        amax = std::fabs(b[j]);
        max = b[j];
      }
    const float d = max / -8;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (size_t j = 0; j < kGgmlBlock / 2; ++j) {
      const float x0 = b[j] * id, x1 = b[j + kGgmlBlock / 2] * id;
      const uint8_t q0 = static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>(x0 + 8.5f)));
      const uint8_t q1 = static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>(x1 + 8.5f)));
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void lb_quantize_row_q4_1_ref(const float* x, block_q4_1* y, size_t n) {
  for (size_t i = 0; i < n / kGgmlBlock; ++i) {
    const float* b = x + i * kGgmlBlock;
    float min = FLT_MAX, max = -FLT_MAX;
    for (size_t j = 0; j < kGgmlBlock; ++j) {
      if (b[j] < min) min = b[j];
      if (b[j] > max) max = b[j];
    }
    const float d = (max - min) / 15;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(min);
    for (size_t j = 0; j < kGgmlBlock / 2; ++j) {
      const float x0 = (b[j] - min) * id, x1 = (b[j + kGgmlBlock / 2] - min) * id;
      const uint8_t q0 = static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>(x0 + 0.5f)));
      const uint8_t q1 = static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>(x1 + 0.5f)));
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void lb_quantize_row_q8_0_ref(const float* x, block_q8_0* y, size_t n) {
  for (size_t i = 0; i < n / kGgmlBlock; ++i) {
    const float* b = x + i * kGgmlBlock;
    float amax = 0.f;
    for (size_t j = 0; j < kGgmlBlock; ++j) amax = std::max(amax, std::fabs(b[j]));
    const float d = amax / 127;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (size_t j = 0; j < kGgmlBlock; ++j) y[i].qs[j] = static_cast<int8_t>(std::round(b[j] * id));
  }
}

void lb_dequantize_row_q4_0_ref(const block_q4_0* x, float* y, size_t n) {
  for (size_t i = 0; i < n / kGgmlBlock; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    for (size_t j = 0; j < kGgmlBlock / 2; ++j) {
      y[i * kGgmlBlock + j] = static_cast<float>((x[i].qs[j] & 0x0F) - 8) * d;
      y[i * kGgmlBlock + j + kGgmlBlock / 2] = static_cast<float>((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void lb_dequantize_row_q4_1_ref(const block_q4_1* x, float* y, size_t n) {
  for (size_t i = 0; i < n / kGgmlBlock; ++i) {
    const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
    for (size_t j = 0; j < kGgmlBlock / 2; ++j) {
      y[i * kGgmlBlock + j] = static_cast<float>(x[i].qs[j] & 0x0F) * d + m;
      y[i * kGgmlBlock + j + kGgmlBlock / 2] = static_cast<float>(x[i].qs[j] >> 4) * d + m;
    }
  }
}

void lb_dequantize_row_q8_0_ref(const block_q8_0* x, float* y, size_t n) {
  for (size_t i = 0; i < n / kGgmlBlock; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    for (size_t j = 0; j < kGgmlBlock; ++j) y[i * kGgmlBlock + j] = static_cast<float>(x[i].qs[j]) * d;
  }
}

}  // namespace lowbit
