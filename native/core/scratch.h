// Per-thread scratch memory that grows and is kept: a GEMM called in a loop must not pay for
// fresh pages (page faults cost more than packing) on every call.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lowbit {

enum class ScratchSlot : int { a_pack, row_data, act_quant, act_params, count };
// 64-byte aligned, at least `bytes` long, valid until the next call with the same slot on
// this thread; nullptr if it cannot be had.
void* scratch(ScratchSlot slot, size_t bytes);

}  // namespace lowbit
