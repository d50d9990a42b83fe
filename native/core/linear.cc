// linear = (dynamic or static activation quantization + int8 GEMM + float epilogue) or the
// fp32 GEMM.
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "../include/lowbit/lowbit.h"
#include "scratch.h"
#include "threadpool.h"

namespace lowbit {

Status linear(const LinearArgs& args) {
  if (!args.w_scales) {
    SgemmArgs s;
    s.M = args.M;
    s.a = args.x;
    s.lda = args.ldx;
    s.packed_b = args.packed_w;
    s.packed_b_size = args.packed_w_size;
    s.bias = args.bias;
    s.y = args.y;
    s.ldy = args.ldy;
    return sgemm(s);
  }
  PackedBInfo info;
  if (Status s = qgemm_packed_b_info(args.packed_w, args.packed_w_size, &info); s != Status::ok) return s;
  const size_t M = args.M, K = info.K;
  if (M > (size_t{1} << 31)) return Status::invalid_argument;
  auto* q = static_cast<uint8_t*>(scratch(ScratchSlot::act_quant, M * K + 1));
  auto* params = static_cast<float*>(scratch(ScratchSlot::act_params, 2 * M * sizeof(float) + 1));
  if (!q || !params) return Status::out_of_memory;
  float* x_scales = params;
  auto* x_zero_points = reinterpret_cast<int32_t*>(params + M);
  // Rows are independent: quantize blocks of them on the pool (it is memory-bound work).
  constexpr size_t kRowsPerItem = 16;
  const size_t items = (M + kRowsPerItem - 1) / kRowsPerItem;
  if (args.static_x && !(args.x_scale > 0.f && args.x_scale <= 3.4e38f && args.x_zero_point >= 0 &&
                         args.x_zero_point <= 255))
    return Status::invalid_argument;
  std::atomic<int> failed{0};
  parallel_for(items, M * K < (size_t{1} << 16) ? 1 : SIZE_MAX, [&](size_t i) {
    const size_t m0 = i * kRowsPerItem, rows = std::min(kRowsPerItem, M - m0);
    if (args.static_x) {
      QuantizeLinearArgs ql;
      ql.inner = K;
      ql.scales = &args.x_scale;
      ql.zero_points = &args.x_zero_point;
      for (size_t m = m0; m < m0 + rows; ++m) {
        if (quantize_linear_u8(args.x + m * args.ldx, q + m * K, ql) != Status::ok) failed = 1;
        x_scales[m] = args.x_scale;
        x_zero_points[m] = args.x_zero_point;
      }
      return;
    }
    if (quantize_rows_u8(args.x + m0 * args.ldx, rows, K, args.ldx, q + m0 * K, K, x_scales + m0,
                         x_zero_points + m0) != Status::ok)
      failed = 1;
  });
  if (failed) return Status::invalid_argument;
  QgemmArgs g;
  g.M = M;
  g.a = q;
  g.lda = K;
  g.a_zero_points = x_zero_points;
  g.packed_b = args.packed_w;
  g.packed_b_size = args.packed_w_size;
  g.y = args.y;
  g.a_scales = x_scales;
  g.b_scales = args.w_scales;
  g.bias = args.bias;
  g.ldc = args.ldy;
  return qgemm(g);
}

}  // namespace lowbit
