// Sum of bytes (each xor flip) with pairwise widening adds. Matches lb_u8_sum__scalar.
#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include "../ukernels.h"

namespace lowbit {

uint32_t lb_u8_sum__neon(const uint8_t* x, size_t n, uint8_t flip) {
  const uint8x16_t f = vdupq_n_u8(flip);
  uint32x4_t acc = vdupq_n_u32(0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint16x8_t pairs = vpaddlq_u8(veorq_u8(vld1q_u8(x + i), f));  // <= 510 per lane
    acc = vpadalq_u16(acc, pairs);
  }
  uint32_t sum = vaddvq_u32(acc);
  for (; i < n; ++i) sum += static_cast<uint8_t>(x[i] ^ flip);
  return sum;
}

}  // namespace lowbit
#endif
