// The per-row parameters of dynamic uint8 quantization, shared by every ISA's kernel so the
// scale and zero point are computed by one piece of code (see lb_quantize_rows_u8_ref).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lowbit {
// Internal linkage: files compiled with different ISA flags include this, and the linker must
// never pick one file's copy for another's caller.
namespace {

// From the row's min (<= 0) and max (>= 0): sets scale and zero point and returns true, or,
// for a row with a non-finite value, marks it (scale NaN, zero point 0, q all 0) and returns
// false.
inline bool dynamic_row_params(float lo, float hi, bool finite, size_t K, uint8_t* q, float* scale,
                               int32_t* zero_point) {
  if (!finite) {
    *scale = NAN;
    *zero_point = 0;
    if (K) std::memset(q, 0, K);
    return false;
  }
  float s = hi / 255.f - lo / 255.f;
  if (s == 0.f) s = 1.f;
  float z = std::nearbyint(-lo / s);
  z = z < 0.f ? 0.f : z > 255.f ? 255.f : z;
  *scale = s;
  *zero_point = static_cast<int32_t>(z);
  return true;
}

// Folds row[k, K) into a row's running min, max and non-finite flag (for SIMD tails).
inline void minmax_tail(const float* row, size_t k, size_t K, float& lo, float& hi, float& bad) {
  for (; k < K; ++k) {
    const float v = row[k];
    bad += v - v;  // NaN once anything is non-finite
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
}

// A row with NaN or ±Inf in per-(row, block) int8 activations: every block gets sx = NaN and
// sum = 0, xq = 0 (lb_quantize_rows_q8_blocks_ref).
inline void q8_blocks_nan_row(size_t blocks, size_t g, int8_t* xq, float* sx, int32_t* sum) {
  std::memset(xq, 0, blocks * g);
  for (size_t b = 0; b < blocks; ++b) {
    sx[b] = NAN;
    sum[b] = 0;
  }
}

// The loops every ISA's per-(row, block) int8 quantizer shares (lb_quantize_rows_q8_blocks_ref):
// a row for which row_bad(row, K) is true (it holds NaN or ±Inf) is marked whole; otherwise
// block(v, n, g, q) quantizes the n <= g values at v into q[0, g) (zeros past n), stores
// sum(q) in *total and returns the block's scale, amax / 127.
template <typename RowBad, typename Block>
inline void q8_blocks_rows(const float* x, size_t M, size_t K, size_t g, int8_t* xq, float* sx, int32_t* sum,
                           RowBad row_bad, Block block) {
  const size_t blocks = (K + g - 1) / g;
  for (size_t m = 0; m < M; ++m) {
    const float* row = x + m * K;
    if (row_bad(row, K)) {
      q8_blocks_nan_row(blocks, g, xq + m * blocks * g, sx + m * blocks, sum + m * blocks);
      continue;
    }
    for (size_t b = 0; b < blocks; ++b) {
      const size_t n = K - b * g < g ? K - b * g : g;
      sx[m * blocks + b] = block(row + b * g, n, g, xq + m * blocks * g + b * g, &sum[m * blocks + b]);
    }
  }
}

// One value, exactly as the reference rounds it (for SIMD tails); inv = 1 / scale.
inline uint8_t dynamic_quantize_one(float x, float inv, int32_t zp) {
  float v = x * inv;
  v = v < -1024.f ? -1024.f : v > 1024.f ? 1024.f : v;
  const int32_t q = static_cast<int32_t>(std::nearbyint(v)) + zp;
  return static_cast<uint8_t>(q < 0 ? 0 : q > 255 ? 255 : q);
}

}  // namespace
}  // namespace lowbit
