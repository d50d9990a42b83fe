// Peak probes for the portable tier: independent integer and float multiply-add chains.
#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__scalar(uint64_t iterations) {
  uint32_t acc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const uint32_t a = static_cast<uint32_t>(iterations & 7) + 3, b = 5;
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < 8; ++c) acc[c] = acc[c] * a + b;  // a chain: no closed form to fold
  volatile uint32_t sink = acc[0] ^ acc[7];
  (void)sink;
  return iterations * 8;
}

uint64_t lb_probe_f32__scalar(uint64_t iterations) {
  float acc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const float a = 1.0000001f, b = 1e-7f;  // grows slowly: no denormals, nothing to fold
  for (uint64_t i = 0; i < iterations; ++i)
    for (int c = 0; c < 8; ++c) acc[c] = acc[c] * a + b;
  volatile float sink = acc[0] + acc[7];
  (void)sink;
  return iterations * 8;
}

}  // namespace lowbit
