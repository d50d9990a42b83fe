// Blockwise int4 entry points: checks, and rows spread over the pool. Round-to-nearest
// quantizing and dequantizing have kernels per ISA (where a tier has one); the MSE search runs
// the reference arithmetic (the spec) directly: it is offline work, twenty times the reads.
#include <atomic>
#include <cmath>

#include "../dispatch/dispatch.h"
#include "../ref/ref.h"
#include "threadpool.h"

namespace lowbit {

bool qb4_layout_ok(const Qb4Layout& l) {
  const bool group_ok = l.group == 16 || l.group == 32 || l.group == 64 || l.group == 128 || l.group == 256;
  return group_ok && l.N <= (size_t{1} << 31) && l.K <= (size_t{1} << 31);
}

Status quantize_qb4(const float* w, const Qb4Layout& l, bool mse, const Qb4Buffers& out) {
  if (!qb4_layout_ok(l)) return Status::invalid_argument;
  if (l.N == 0 || l.K == 0) return Status::ok;
  if (!w || !out.data || !out.scales || (!l.symmetric && !out.zero_points)) return Status::invalid_argument;
  const size_t blocks = l.blocks(), row_bytes = blocks * (l.group / 2),
               scale_bytes = blocks * (l.fp16_scales ? 2 : 4), zp_bytes = (blocks + 1) / 2;
  const QuantizeQb4RowFn kernel = mse ? nullptr : current_dispatch().table->quantize_qb4_row;
  std::atomic<bool> bad{false};
  parallel_for(l.N, l.N * l.K < (size_t{1} << 14) ? 1 : SIZE_MAX, [&](size_t n) {
    const float* row = w + n * l.K;
    Qb4Row r;
    r.data = out.data + n * row_bytes;
    r.scales = static_cast<uint8_t*>(out.scales) + n * scale_bytes;
    r.zps = l.symmetric ? nullptr : out.zero_points + n * zp_bytes;
    if (kernel) {
      if (!kernel(row, l.K, l.group, l.fp16_scales, r.data, r.scales, r.zps)) bad = true;
      return;
    }
    for (size_t k = 0; k < l.K; ++k)
      if (!std::isfinite(row[k])) { bad = true; return; }
    lb_quantize_qb4_row_ref(row, l.K, l.group, l.fp16_scales, mse, r);
  });
  return bad ? Status::invalid_argument : Status::ok;
}

Status dequantize_qb4(const Qb4Buffers& in, const Qb4Layout& l, float* y) {
  if (!qb4_layout_ok(l)) return Status::invalid_argument;
  if (l.N == 0 || l.K == 0) return Status::ok;
  if (!y || !in.data || !in.scales || (!l.symmetric && !in.zero_points)) return Status::invalid_argument;
  const size_t blocks = l.blocks(), row_bytes = blocks * (l.group / 2),
               scale_bytes = blocks * (l.fp16_scales ? 2 : 4), zp_bytes = (blocks + 1) / 2;
  const KernelTable& kt = *current_dispatch().table;
  parallel_for(l.N, l.N * l.K < (size_t{1} << 16) ? 1 : SIZE_MAX, [&](size_t n) {
    kt.dequantize_qb4_row(in.data + n * row_bytes, static_cast<const uint8_t*>(in.scales) + n * scale_bytes,
                              l.symmetric ? nullptr : in.zero_points + n * zp_bytes, l.K, l.group,
                              l.fp16_scales, y + n * l.K);
  });
  return Status::ok;
}

}  // namespace lowbit
