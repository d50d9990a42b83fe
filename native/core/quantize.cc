// Quantization entry points: argument checks and the [outer, channels, inner] walk around the
// portable kernels (memory-bound work that the baseline ISA vectorizes well enough for now).
#include "../dispatch/dispatch.h"

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
  return walk(x, y, a, lb_f32_qs8_quantize__scalar);
}
Status quantize_linear_u8(const float* x, uint8_t* y, const QuantizeLinearArgs& a) {
  return walk(x, y, a, lb_f32_qu8_quantize__scalar);
}
Status dequantize_linear_s8(const int8_t* x, float* y, const QuantizeLinearArgs& a) {
  return walk(x, y, a, lb_qs8_f32_dequantize__scalar);
}
Status dequantize_linear_u8(const uint8_t* x, float* y, const QuantizeLinearArgs& a) {
  return walk(x, y, a, lb_qu8_f32_dequantize__scalar);
}

Status quantize_rows_u8(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q, size_t ldq,
                        float* scales, int32_t* zero_points) {
  if (M && ((!x && K) || (!q && K) || !scales || !zero_points || ldx < K || ldq < K))
    return Status::invalid_argument;
  current_dispatch().table->quantize_rows_u8(x, M, K, ldx, q, ldq, scales, zero_points);
  return Status::ok;
}

}  // namespace lowbit
