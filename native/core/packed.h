// The header every packed weight buffer starts with. Packed buffers live in caller memory
// (JavaScript ArrayBuffers), so the driver re-validates the header on every use: a buffer
// whose header does not describe exactly its own size and the current ISA's layout is
// rejected, so no field can steer a kernel out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../include/lowbit/lowbit.h"

namespace lowbit {

struct PackedHeader {
  uint32_t magic;
  uint32_t isa;
  uint32_t nr, kr;
  uint32_t elem_bytes;
  uint32_t data_pad;  // bytes between the header and the data, so the data is 64-byte aligned
  uint64_t K, N, Kp, panels;
  uint64_t check;  // mixes the fields above: catches accidental overwrites early
};
static_assert(sizeof(PackedHeader) == 64, "packed header is 64 bytes");

constexpr uint32_t kMagicQ8 = 0x3851424c;   // "LBQ8"
constexpr uint32_t kMagicF32 = 0x3446424c;  // "LBF4"

inline uint64_t header_check(const PackedHeader& h) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  const uint64_t v[] = {h.magic, h.isa, h.nr, h.kr, h.elem_bytes, h.data_pad, h.K, h.N, h.Kp, h.panels};
  for (uint64_t f : v) x = (x ^ f) * 0x100000001B3ull;
  return x;
}

inline size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

// Packed buffers reserve kPackSlack bytes so the data after the header can start on a cache
// line wherever the caller's buffer starts (unaligned 64-byte loads split across lines).
constexpr size_t kPackSlack = 64;
inline uint32_t data_pad_for(const void* base) {
  const auto addr = reinterpret_cast<uintptr_t>(base) + sizeof(PackedHeader);
  return static_cast<uint32_t>((64 - addr % 64) % 64);
}
inline size_t data_offset(const PackedHeader& h) { return sizeof(PackedHeader) + h.data_pad; }

}  // namespace lowbit
