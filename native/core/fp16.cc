// IEEE half conversions, bit-exact with F16C's vcvtps2ph (round to nearest even) for every
// non-NaN input, without needing F16C (this file is compiled for the baseline ISA).
#include <cmath>
#include <cstring>

#include "../include/lowbit/formats.h"

namespace lowbit {

uint16_t fp32_to_fp16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return sign | 0x7E00;  // NaN: a quiet NaN
  if (abs >= 0x477FF000u) return sign | 0x7C00;  // >= 65520 rounds to infinity
  if (abs < 0x38800000u) {
    // Below 2^-14: a subnormal half, in units of 2^-24. Scaling by 2^24 is exact, and
    // nearbyint rounds half to even in the default rounding mode.
    const float units = std::nearbyint(std::fabs(f) * 16777216.f);
    return sign | static_cast<uint16_t>(units);  // 1024 carries into the smallest normal
  }
  // Normal: rebias the exponent (127 -> 15) and round the mantissa 23 -> 10 bits, half to even;
  // a carry out of the mantissa correctly bumps the exponent.
  const uint32_t rounded = abs + 0x0FFFu + ((abs >> 13) & 1u);
  return sign | static_cast<uint16_t>((rounded - 0x38000000u) >> 13);
}

float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    const float v = static_cast<float>(mant) * (1.f / 16777216.f);  // exact
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

size_t ggml_block_bytes(GgmlType t) {
  switch (t) {
    case GgmlType::q4_0: return sizeof(block_q4_0);
    case GgmlType::q4_1: return sizeof(block_q4_1);
    case GgmlType::q8_0: return sizeof(block_q8_0);
  }
  return 0;
}

}  // namespace lowbit
