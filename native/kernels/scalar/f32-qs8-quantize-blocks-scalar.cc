// Per-(row, block) symmetric int8 activations for the int4 linear, portable version.
// Matches lb_quantize_rows_q8_blocks_ref exactly.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "../quantize-rows.h"
#include "../ukernels.h"

namespace lowbit {

void lb_f32_qs8_quantize_blocks__scalar(const float* x, size_t M, size_t K, size_t g, int8_t* xq, float* sx,
                                        int32_t* sum) {
  const size_t blocks = (K + g - 1) / g;
  for (size_t m = 0; m < M; ++m) {
    const float* row = x + m * K;
    float bad = 0.f;
    for (size_t k = 0; k < K; ++k) bad += row[k] - row[k];  // NaN once anything is non-finite
    if (bad != 0.f) {  // NaN or ±Inf: a NaN row
      q8_blocks_nan_row(blocks, g, xq + m * blocks * g, sx + m * blocks, sum + m * blocks);
      continue;
    }
    for (size_t b = 0; b < blocks; ++b) {
      const size_t n = std::min(g, K - b * g);
      const float* v = row + b * g;
      int8_t* q = xq + m * blocks * g + b * g;
      float amax = 0.f;
      for (size_t j = 0; j < n; ++j) amax = std::fmax(amax, std::fabs(v[j]));
      const float s = amax / 127.f;
      const float inv = s != 0.f ? 1.f / s : 0.f;
      int32_t total = 0;
      for (size_t j = 0; j < n; ++j) {
        q[j] = static_cast<int8_t>(std::nearbyint(v[j] * inv));
        total += q[j];
      }
      std::memset(q + n, 0, g - n);
      sx[m * blocks + b] = s;
      sum[m * blocks + b] = total;
    }
  }
}

}  // namespace lowbit
