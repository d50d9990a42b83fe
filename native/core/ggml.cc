// ggml block quantization entry points: checks, and blocks spread over the pool. The
// arithmetic is the reference's (the spec); weights are quantized once, off the hot path.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "../include/lowbit/lowbit.h"
#include "../ref/ref.h"
#include "threadpool.h"

namespace lowbit {
namespace {

constexpr size_t kBlocksPerItem = 1024;

bool sizes_ok(GgmlType type, size_t n, size_t bytes) {
  return n % kGgmlBlock == 0 && n <= (size_t{1} << 40) && bytes == n / kGgmlBlock * ggml_block_bytes(type);
}

// Blocks are read through memcpy'd structs: the caller's bytes need not be aligned.
template <typename Block>
void dequantize_blocks(const uint8_t* src, size_t count, float* dst, void (*deq)(const Block*, float*, size_t)) {
  for (size_t b = 0; b < count; ++b) {
    Block blk;
    std::memcpy(&blk, src + b * sizeof blk, sizeof blk);
    deq(&blk, dst + b * kGgmlBlock, kGgmlBlock);
  }
}

}  // namespace

Status quantize_ggml(GgmlType type, const float* x, size_t n, void* blocks, size_t bytes) {
  if (!sizes_ok(type, n, bytes) || (n && (!x || !blocks))) return Status::invalid_argument;
  const size_t nb = n / kGgmlBlock, items = (nb + kBlocksPerItem - 1) / kBlocksPerItem;
  std::atomic<bool> bad{false};
  parallel_for(items, SIZE_MAX, [&](size_t i) {
    const size_t b0 = i * kBlocksPerItem, count = std::min(kBlocksPerItem, nb - b0);
    const float* src = x + b0 * kGgmlBlock;
    for (size_t k = 0; k < count * kGgmlBlock; ++k)
      if (!std::isfinite(src[k])) { bad = true; return; }
    auto* dst = static_cast<uint8_t*>(blocks) + b0 * ggml_block_bytes(type);
    switch (type) {
      case GgmlType::q4_0: lb_quantize_row_q4_0_ref(src, reinterpret_cast<block_q4_0*>(dst), count * kGgmlBlock); break;
      case GgmlType::q4_1: lb_quantize_row_q4_1_ref(src, reinterpret_cast<block_q4_1*>(dst), count * kGgmlBlock); break;
      case GgmlType::q8_0: lb_quantize_row_q8_0_ref(src, reinterpret_cast<block_q8_0*>(dst), count * kGgmlBlock); break;
    }
  });
  return bad ? Status::invalid_argument : Status::ok;
}

Status dequantize_ggml(GgmlType type, const void* blocks, size_t bytes, float* y, size_t n) {
  if (!sizes_ok(type, n, bytes) || (n && (!y || !blocks))) return Status::invalid_argument;
  const size_t nb = n / kGgmlBlock, items = (nb + kBlocksPerItem - 1) / kBlocksPerItem;
  parallel_for(items, SIZE_MAX, [&](size_t i) {
    const size_t b0 = i * kBlocksPerItem, count = std::min(kBlocksPerItem, nb - b0);
    const auto* src = static_cast<const uint8_t*>(blocks) + b0 * ggml_block_bytes(type);
    float* dst = y + b0 * kGgmlBlock;
    switch (type) {
      case GgmlType::q4_0: return dequantize_blocks(src, count, dst, lb_dequantize_row_q4_0_ref);
      case GgmlType::q4_1: return dequantize_blocks(src, count, dst, lb_dequantize_row_q4_1_ref);
      case GgmlType::q8_0: return dequantize_blocks(src, count, dst, lb_dequantize_row_q8_0_ref);
    }
  });
  return Status::ok;
}

}  // namespace lowbit
