// ONNX QuantizeLinear on one run of values (y = saturate(round_half_even(x / scale) + zp),
// NaN -> the lowest value, as onnxruntime): the portable definition, and the AVX-512 kernel
// (GCC vectorizes this loop with masks there, not at AVX2 or the baseline). Bit-exact at every
// width: one IEEE division per value and exact integer steps. Internal linkage: the including
// files are compiled with different ISA flags and must not share copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace lowbit {
namespace {

template <typename T>
inline void quantize_linear_run(const float* x, T* y, size_t n, float scale, int32_t zp) {
  constexpr float kMagic = 12582912.f;  // 1.5 * 2^23: adding and subtracting rounds half to even
  constexpr float lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  const float z = static_cast<float>(zp);
  for (size_t i = 0; i < n; ++i) {
    float v = x[i] / scale;
    const bool nan = v != v;
    // Clamped well inside the magic trick's exact range first; cannot change a saturated result.
    v = nan ? 0.f : (v < -1024.f ? -1024.f : v > 1024.f ? 1024.f : v);
    float r = (v + kMagic) - kMagic + z;
    r = r < lo ? lo : r > hi ? hi : r;
    y[i] = static_cast<T>(static_cast<int32_t>(nan ? lo : r));
  }
}

}  // namespace
}  // namespace lowbit
