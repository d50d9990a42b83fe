// Quantization entry points: argument checks and the [outer, channels, inner] walk around the
// kernels (QuantizeLinear per tier where the tier has one, else portable).
#include <atomic>
#include <cmath>
#include <cstring>

#include "../dispatch/dispatch.h"
#include "threadpool.h"

namespace lowbit {
namespace {

bool valid(const QuantizeLinearArgs& a) {
  return a.scales && a.channels > 0 && a.outer <= (size_t{1} << 40) && a.inner <= (size_t{1} << 40);
}

template <typename Src, typename Dst, typename Fn>
Status walk(const Src* x, Dst* y, const QuantizeLinearArgs& a, Fn fn) {
  if (!valid(a) || ((!x || !y) && a.outer != 0 && a.inner != 0)) return Status::invalid_argument;
  for (size_t o = 0; o < a.outer; ++o)
    for (size_t c = 0; c < a.channels; ++c) {
      const size_t off = (o * a.channels + c) * a.inner;
      fn(x + off, y + off, a.inner, a.scales[c], a.zero_points ? a.zero_points[c] : 0);
    }
  return Status::ok;
}

}  // namespace

Status quantize_linear_s8(const float* x, int8_t* y, const QuantizeLinearArgs& a) {
  const auto fn = current_dispatch().table->quantize_linear_s8;
  return walk(x, y, a, fn ? fn : lb_f32_qs8_quantize__scalar);
}
Status quantize_linear_u8(const float* x, uint8_t* y, const QuantizeLinearArgs& a) {
  const auto fn = current_dispatch().table->quantize_linear_u8;
  return walk(x, y, a, fn ? fn : lb_f32_qu8_quantize__scalar);
}
Status dequantize_linear_s8(const int8_t* x, float* y, const QuantizeLinearArgs& a) {
  return walk(x, y, a, lb_qs8_f32_dequantize__scalar);
}
Status dequantize_linear_u8(const uint8_t* x, float* y, const QuantizeLinearArgs& a) {
  return walk(x, y, a, lb_qu8_f32_dequantize__scalar);
}

Status quantize_weights_int8(const float* w, size_t N, size_t K, bool symmetric, void* q, float* scales,
                             uint8_t* zero_points) {
  if (N && K && (!w || !q || !scales || (!symmetric && !zero_points))) return Status::invalid_argument;
  std::atomic<bool> bad{false};
  parallel_for(N, N * K < (size_t{1} << 16) ? 1 : SIZE_MAX, [&](size_t n) {
    const float* row = w + n * K;
    // Four independent min/max chains, and the exponent test in integers: no loop-carried
    // floating-point add, so the compiler can vectorize it at the baseline ISA.
    float lo4[4] = {}, hi4[4] = {};
    uint32_t inf_or_nan = 0;
    size_t k = 0;
    for (; k + 4 <= K; k += 4)
      for (size_t j = 0; j < 4; ++j) {
        const float v = row[k + j];
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        inf_or_nan |= (bits & 0x7F800000u) == 0x7F800000u;
        lo4[j] = v < lo4[j] ? v : lo4[j];
        hi4[j] = v > hi4[j] ? v : hi4[j];
      }
    for (; k < K; ++k) {
      const float v = row[k];
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      inf_or_nan |= (bits & 0x7F800000u) == 0x7F800000u;
      lo4[0] = v < lo4[0] ? v : lo4[0];
      hi4[0] = v > hi4[0] ? v : hi4[0];
    }
    float lo = lo4[0], hi = hi4[0];
    for (size_t j = 1; j < 4; ++j) {
      lo = lo4[j] < lo ? lo4[j] : lo;
      hi = hi4[j] > hi ? hi4[j] : hi;
    }
    if (inf_or_nan) {
      bad = true;
      return;
    }
    if (symmetric) {
      const float amax = -lo > hi ? -lo : hi;
      scales[n] = amax == 0.f ? 1.f : amax / 127.f;
      lb_f32_qs8_quantize__scalar(row, static_cast<int8_t*>(q) + n * K, K, scales[n], 0);
    } else {
      float s = hi / 255.f - lo / 255.f;
      if (s == 0.f) s = 1.f;
      const float z = std::nearbyint(-lo / s);
      const int32_t zp = static_cast<int32_t>(z < 0.f ? 0.f : z > 255.f ? 255.f : z);
      scales[n] = s;
      zero_points[n] = static_cast<uint8_t>(zp);
      lb_f32_qu8_quantize__scalar(row, static_cast<uint8_t*>(q) + n * K, K, s, zp);
    }
  });
  return bad ? Status::invalid_argument : Status::ok;
}

Status quantize_rows_u8(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q, size_t ldq,
                        float* scales, int32_t* zero_points) {
  if (M && ((!x && K) || (!q && K) || !scales || !zero_points || ldx < K || ldq < K))
    return Status::invalid_argument;
  current_dispatch().table->quantize_rows_u8(x, M, K, ldx, q, ldq, scales, zero_points);
  return Status::ok;
}

}  // namespace lowbit
