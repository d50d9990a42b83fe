// Sum of bytes (each xor flip): portable version of the row sums the int8 GEMM needs.
#include "../ukernels.h"

namespace lowbit {

uint32_t lb_u8_sum__scalar(const uint8_t* x, size_t n, uint8_t flip) {
  uint32_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<uint8_t>(x[i] ^ flip);
  return sum;
}

}  // namespace lowbit
