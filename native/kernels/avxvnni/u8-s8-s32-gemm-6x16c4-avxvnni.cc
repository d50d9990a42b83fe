// int8 GEMM tile for CPUs with AVX-VNNI but not AVX-512 (Intel Alder Lake and later client
// cores, Sierra Forest; AMD Zen 5 client parts run the AVX-512 tier): VEX vpdpbusd ymm, 6 rows
// x 16 columns, 4 k per lane. Exact: u8 x s8 products accumulate straight into int32, no int16
// step (so none of vpmaddubsw's saturation, and no widening of A as the AVX2 tier needs).
// Matches lb_qgemm_ref; its epilogue follows qgemm_store_tile's formula and order.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstring>

#include "../tile-store.h"
#include "../u8-s8-s32-gemm-dpbusd.h"
#include "../ukernels.h"

namespace lowbit {
namespace {

constexpr int MR = 6, NR = 16;

struct Ymm {
  using Vec = __m256i;
  static constexpr int kBytes = 32;
  static Vec zero() { return _mm256_setzero_si256(); }
  static Vec load(const int8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static Vec broadcast4(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
  }
  static Vec dot(Vec c, Vec a, Vec b) { return _mm256_dpbusd_avx_epi32(c, a, b); }
  static Vec add(Vec x, Vec y) { return _mm256_add_epi32(x, y); }
  template <int R>
  static void store(const Vec (&c0)[R], const Vec (&c1)[R], size_t nr_used, const QgemmTileOut& out) {
    if (nr_used < NR) {  // a partial panel: the portable epilogue, on the raw dots
      alignas(32) int32_t acc[R][NR];
      for (int r = 0; r < R; ++r) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(&acc[r][0]), c0[r]);
        _mm256_store_si256(reinterpret_cast<__m256i*>(&acc[r][8]), c1[r]);
      }
      qgemm_store_tile(&acc[0][0], NR, R, nr_used, out);
      return;
    }
    const __m256i cs0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(out.col_sum));
    const __m256i cs1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(out.col_sum + 8));
    __m256 sc0 = _mm256_setzero_ps(), sc1 = sc0, bi0 = sc0, bi1 = sc0;
    if (!out.c) {
      sc0 = _mm256_loadu_ps(out.col_scale);
      sc1 = _mm256_loadu_ps(out.col_scale + 8);
      if (out.bias) {
        bi0 = _mm256_loadu_ps(out.bias);
        bi1 = _mm256_loadu_ps(out.bias + 8);
      }
    }
    for (int r = 0; r < R; ++r) {
      const __m256i ro = _mm256_set1_epi32(out.row_offset[r]), rz = _mm256_set1_epi32(out.row_zp[r]);
      const __m256i v0 = _mm256_sub_epi32(_mm256_add_epi32(c0[r], ro), _mm256_mullo_epi32(rz, cs0));
      const __m256i v1 = _mm256_sub_epi32(_mm256_add_epi32(c1[r], ro), _mm256_mullo_epi32(rz, cs1));
      if (out.c) {
        int32_t* c = out.c + r * out.ldc;
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), v0);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + 8), v1);
        continue;
      }
      const __m256 rs = _mm256_set1_ps(out.row_scale[r]);
      __m256 f0 = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(v0), rs), sc0);
      __m256 f1 = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(v1), rs), sc1);
      if (out.bias) {
        f0 = _mm256_add_ps(f0, bi0);
        f1 = _mm256_add_ps(f1, bi1);
      }
      float* y = out.y + r * out.ldc;
      _mm256_storeu_ps(y, f0);
      _mm256_storeu_ps(y + 8, f1);
    }
  }
};

}  // namespace

void lb_u8_s8_s32_gemm_ukernel_6x16c4__avxvnni(size_t mr_used, size_t nr_used, size_t kp, const void* a_packed,
                                               const void* b_panel, const QgemmTileOut& out) {
  dpbusd_kernel<Ymm, MR>(mr_used, nr_used, kp, a_packed, b_panel, out);
}

}  // namespace lowbit
#endif
