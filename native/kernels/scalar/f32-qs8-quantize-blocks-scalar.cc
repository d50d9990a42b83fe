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
  auto row_bad = [](const float* row, size_t K) {
    float bad = 0.f;
    for (size_t k = 0; k < K; ++k) bad += row[k] - row[k];  // NaN once anything is non-finite
    return bad != 0.f;
  };
  auto block = [](const float* v, size_t n, size_t g, int8_t* q, int32_t* total) {
    float amax = 0.f;
    for (size_t j = 0; j < n; ++j) amax = std::fmax(amax, std::fabs(v[j]));
    const float s = amax / 127.f;
    const float inv = s != 0.f ? 1.f / s : 0.f;
    int32_t t = 0;
    for (size_t j = 0; j < n; ++j) {
      q[j] = static_cast<int8_t>(std::nearbyint(v[j] * inv));
      t += q[j];
    }
    std::memset(q + n, 0, g - n);
    *total = t;
    return s;
  };
  q8_blocks_rows(x, M, K, g, xq, sx, sum, row_bad, block);
}

}  // namespace lowbit
