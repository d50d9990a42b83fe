#include <cmath>
#include <limits>

#include "ref.h"

namespace lowbit {

template <typename T>
void lb_quantize_linear_ref(const float* x, T* y, size_t outer, size_t channels, size_t inner,
                            const float* scales, const int32_t* zero_points) {
  constexpr double lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (size_t o = 0; o < outer; ++o)
    for (size_t c = 0; c < channels; ++c) {
      const int32_t zp = zero_points ? zero_points[c] : 0;
      for (size_t i = 0; i < inner; ++i) {
        const size_t idx = (o * channels + c) * inner + i;
        const float q = x[idx] / scales[c];
        // NaN saturates to the lowest value, as onnxruntime (MLAS) does on every CPU.
        double v = std::isnan(q) ? lo : std::nearbyint(static_cast<double>(q)) + zp;
        v = v < lo ? lo : v > hi ? hi : v;
        y[idx] = static_cast<T>(v);
      }
    }
}

template <typename T>
void lb_dequantize_linear_ref(const T* x, float* y, size_t outer, size_t channels, size_t inner,
                              const float* scales, const int32_t* zero_points) {
  for (size_t o = 0; o < outer; ++o)
    for (size_t c = 0; c < channels; ++c) {
      const int32_t zp = zero_points ? zero_points[c] : 0;
      for (size_t i = 0; i < inner; ++i) {
        const size_t idx = (o * channels + c) * inner + i;
        y[idx] = static_cast<float>(static_cast<int32_t>(x[idx]) - zp) * scales[c];
      }
    }
}

template void lb_quantize_linear_ref<int8_t>(const float*, int8_t*, size_t, size_t, size_t, const float*, const int32_t*);
template void lb_quantize_linear_ref<uint8_t>(const float*, uint8_t*, size_t, size_t, size_t, const float*, const int32_t*);
template void lb_dequantize_linear_ref<int8_t>(const int8_t*, float*, size_t, size_t, size_t, const float*, const int32_t*);
template void lb_dequantize_linear_ref<uint8_t>(const uint8_t*, float*, size_t, size_t, size_t, const float*, const int32_t*);

}  // namespace lowbit
