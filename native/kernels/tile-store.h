// The int8 GEMM epilogue in plain C++, shared by every ISA for tiles that do not fill the
// register block (and by the scalar kernel for all tiles). Same formula as ukernels.h states.
#pragma once

#include "ukernels.h"

namespace lowbit {
// Internal linkage: files compiled with different ISA flags include this, and the linker must
// never pick one file's copy for another's caller.
namespace {

// acc: row-major [mr_used][acc_stride] raw dot products.
inline void qgemm_store_tile(const int32_t* acc, size_t acc_stride, size_t mr_used, size_t nr_used,
                             const QgemmTileOut& out) {
  for (size_t m = 0; m < mr_used; ++m) {
    const uint32_t ro = static_cast<uint32_t>(out.row_offset[m]);
    const uint32_t rz = static_cast<uint32_t>(out.row_zp[m]);
    for (size_t n = 0; n < nr_used; ++n) {
      const int32_t v = static_cast<int32_t>(static_cast<uint32_t>(acc[m * acc_stride + n]) + ro -
                                             rz * static_cast<uint32_t>(out.col_sum[n]));
      if (out.c) {
        out.c[m * out.ldc + n] = v;
      } else {
        float f = static_cast<float>(v) * out.row_scale[m] * out.col_scale[n];
        if (out.bias) f += out.bias[n];
        out.y[m * out.ldc + n] = f;
      }
    }
  }
}

// Runs a tile function that takes at most `rows` rows over all of a's rows, `rows` at a time:
// lets a narrow kernel serve a table whose row count is set by a wider one.
template <typename Fn>
inline void for_row_chunks(const Qb4GemmArgs& a, size_t rows, Fn fn) {
  for (size_t r0 = 0; r0 < a.mr_used; r0 += rows) {
    Qb4GemmArgs s = a;
    s.mr_used = a.mr_used - r0 < rows ? a.mr_used - r0 : rows;
    s.xq = a.xq + r0 * a.blocks * a.g;
    s.sx = a.sx + r0 * a.blocks;
    s.xsum = a.xsum + r0 * a.blocks;
    s.y = a.y + r0 * a.ldy;
    fn(s);
  }
}

// Float rows [mr_used][nr_used] from acc (row stride acc_stride) to y, plus bias if given:
// the last step of the int4 / ggml linear tiles.
inline void store_rows_bias(const float* acc, size_t acc_stride, size_t mr_used, size_t nr_used, float* y,
                            size_t ldy, const float* bias) {
  for (size_t m = 0; m < mr_used; ++m)
    for (size_t c = 0; c < nr_used; ++c)
      y[m * ldy + c] = bias ? acc[m * acc_stride + c] + bias[c] : acc[m * acc_stride + c];
}

}  // namespace
}  // namespace lowbit
