// The int8 GEMM epilogue for AVX-512 tiles of 32 columns (two zmm per row), shared by the
// VNNI kernel (rows in registers) and the AMX kernel (rows stored from tiles). Same formula
// and operation order as qgemm_store_tile, so float results agree bit for bit across ISAs.
// Include only from files compiled with AVX-512 flags.
#pragma once

#include <immintrin.h>

#include "../ukernels.h"

namespace lowbit {
// Internal linkage: files compiled with different ISA flags include this, and the linker must
// never pick one file's copy for another's caller.
namespace {

struct QgemmStore32 {
  __mmask16 m0, m1;
  __m512i cs0, cs1;
  __m512 sc0, sc1, bi0, bi1;

  QgemmStore32(size_t nr_used, const QgemmTileOut& out) {
    m0 = nr_used >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << nr_used) - 1);
    m1 = nr_used >= 32 ? 0xFFFF : nr_used <= 16 ? 0 : static_cast<__mmask16>((1u << (nr_used - 16)) - 1);
    cs0 = _mm512_loadu_si512(out.col_sum);  // the panel's column sums are padded to 32
    cs1 = _mm512_loadu_si512(out.col_sum + 16);
    sc0 = sc1 = bi0 = bi1 = _mm512_setzero_ps();
    if (!out.c) {  // masked: scales and bias end at N, which may be inside this panel
      sc0 = _mm512_maskz_loadu_ps(m0, out.col_scale);
      sc1 = _mm512_maskz_loadu_ps(m1, out.col_scale + 16);
      if (out.bias) {
        bi0 = _mm512_maskz_loadu_ps(m0, out.bias);
        bi1 = _mm512_maskz_loadu_ps(m1, out.bias + 16);
      }
    }
  }

  // Row r: acc0 holds columns 0..15, acc1 columns 16..31.
  void row(__m512i acc0, __m512i acc1, size_t r, const QgemmTileOut& out) const {
    const __m512i ro = _mm512_set1_epi32(out.row_offset[r]);
    const __m512i rz = _mm512_set1_epi32(out.row_zp[r]);
    const __m512i v0 = _mm512_sub_epi32(_mm512_add_epi32(acc0, ro), _mm512_mullo_epi32(rz, cs0));
    const __m512i v1 = _mm512_sub_epi32(_mm512_add_epi32(acc1, ro), _mm512_mullo_epi32(rz, cs1));
    if (out.c) {
      int32_t* c = out.c + r * out.ldc;
      _mm512_mask_storeu_epi32(c, m0, v0);
      _mm512_mask_storeu_epi32(c + 16, m1, v1);
      return;
    }
    const __m512 rs = _mm512_set1_ps(out.row_scale[r]);
    __m512 f0 = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(v0), rs), sc0);
    __m512 f1 = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(v1), rs), sc1);
    if (out.bias) {
      f0 = _mm512_add_ps(f0, bi0);
      f1 = _mm512_add_ps(f1, bi1);
    }
    float* y = out.y + r * out.ldc;
    _mm512_mask_storeu_ps(y, m0, f0);
    _mm512_mask_storeu_ps(y + 16, m1, f1);
  }
};

}  // namespace
}  // namespace lowbit
