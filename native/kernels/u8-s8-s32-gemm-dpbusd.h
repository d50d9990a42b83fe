// The int8 GEMM tile loops for vpdpbusd, shared by the AVX-512 VNNI (zmm) and AVX-VNNI (ymm)
// kernels: rows of A broadcast 4 bytes at a time, B read as two vectors of 4-k groups per k
// step (the panel layout [k/4][NR][4]), u8 x s8 products added straight into int32 (exact).
// `V` supplies the vector type and instructions: zero(), load(p), broadcast4(p), dot(c, a, b),
// add(x, y), kBytes (bytes per vector), and store<R>(c0, c1, nr_used, out), the epilogue.
// Internal linkage: the including files are compiled with different ISA flags.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ukernels.h"

namespace lowbit {
namespace {

template <typename V, int MR, int R>
void dpbusd_tile(size_t nr_used, size_t kp, const uint8_t* a, const int8_t* b, const QgemmTileOut& out) {
  using Vec = typename V::Vec;
  constexpr int KR = 4;
  Vec c0[R], c1[R];
  for (int r = 0; r < R; ++r) c0[r] = c1[r] = V::zero();
#pragma GCC unroll 2
  for (size_t k = 0; k < kp; k += KR) {
    const Vec b0 = V::load(b), b1 = V::load(b + V::kBytes);
    for (int r = 0; r < R; ++r) {
      const Vec av = V::broadcast4(a + r * KR);
      c0[r] = V::dot(c0[r], av, b0);
      c1[r] = V::dot(c1[r], av, b1);
    }
    a += MR * KR;
    b += 2 * V::kBytes;
  }
  V::template store<R>(c0, c1, nr_used, out);
}

// One or two rows leave too few independent vpdpbusd chains to hide its latency (GEMV):
// alternate k steps between two sets of accumulators.
template <typename V, int MR, int R>
void dpbusd_tile_split_k(size_t nr_used, size_t kp, const uint8_t* a, const int8_t* b, const QgemmTileOut& out) {
  using Vec = typename V::Vec;
  constexpr int KR = 4;
  Vec c0[R], c1[R], d0[R], d1[R];
  for (int r = 0; r < R; ++r) c0[r] = c1[r] = d0[r] = d1[r] = V::zero();
  size_t k = 0;
  for (; k + 2 * KR <= kp; k += 2 * KR) {
    const Vec b0 = V::load(b), b1 = V::load(b + V::kBytes), b2 = V::load(b + 2 * V::kBytes),
              b3 = V::load(b + 3 * V::kBytes);
    for (int r = 0; r < R; ++r) {
      const Vec av = V::broadcast4(a + r * KR), aw = V::broadcast4(a + MR * KR + r * KR);
      c0[r] = V::dot(c0[r], av, b0);
      c1[r] = V::dot(c1[r], av, b1);
      d0[r] = V::dot(d0[r], aw, b2);
      d1[r] = V::dot(d1[r], aw, b3);
    }
    a += 2 * MR * KR;
    b += 4 * V::kBytes;
  }
  if (k < kp) {
    const Vec b0 = V::load(b), b1 = V::load(b + V::kBytes);
    for (int r = 0; r < R; ++r) {
      const Vec av = V::broadcast4(a + r * KR);
      c0[r] = V::dot(c0[r], av, b0);
      c1[r] = V::dot(c1[r], av, b1);
    }
  }
  for (int r = 0; r < R; ++r) {
    c0[r] = V::add(c0[r], d0[r]);
    c1[r] = V::add(c1[r], d1[r]);
  }
  V::template store<R>(c0, c1, nr_used, out);
}

// A whole kernel: the tile function for mr_used rows (1 and 2 split k across two accumulator
// sets; MR or more rows use the full tile).
template <typename V, int MR, int R = 1>
void dpbusd_kernel(size_t mr_used, size_t nr_used, size_t kp, const void* a_packed, const void* b_panel,
                   const QgemmTileOut& out) {
  const auto* a = static_cast<const uint8_t*>(a_packed);
  const auto* b = static_cast<const int8_t*>(b_panel);
  if constexpr (R < MR) {
    if (mr_used == R) {
      if constexpr (R <= 2) dpbusd_tile_split_k<V, MR, R>(nr_used, kp, a, b, out);
      else dpbusd_tile<V, MR, R>(nr_used, kp, a, b, out);
      return;
    }
    dpbusd_kernel<V, MR, R + 1>(mr_used, nr_used, kp, a_packed, b_panel, out);
  } else {
    dpbusd_tile<V, MR, MR>(nr_used, kp, a, b, out);
  }
}

}  // namespace
}  // namespace lowbit
