// int8 GEMM tile for CPUs with AVX-VNNI but not AVX-512 (Intel Alder Lake and later client
// cores, Sierra Forest; AMD Zen 5 client parts run the AVX-512 tier): VEX vpdpbusd ymm, 6 rows
// x 16 columns, 4 k per lane. Exact: u8 x s8 products accumulate straight into int32, no int16
// step (so none of vpmaddubsw's saturation, and no widening of A as the AVX2 tier needs).
// Matches lb_qgemm_ref; its epilogue follows qgemm_store_tile's formula and order.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstring>

#include "../tile-store.h"
#include "../ukernels.h"

namespace lowbit {
namespace {

constexpr int MR = 6, NR = 16, KR = 4;

inline __m256i broadcast_u32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

template <int R>
void store(const __m256i (&c0)[R], const __m256i (&c1)[R], size_t nr_used, const QgemmTileOut& out) {
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

template <int R>
void tile(size_t nr_used, size_t kp, const uint8_t* a, const int8_t* b, const QgemmTileOut& out) {
  __m256i c0[R], c1[R];
  for (int r = 0; r < R; ++r) c0[r] = c1[r] = _mm256_setzero_si256();
  for (size_t k = 0; k < kp; k += KR) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
    for (int r = 0; r < R; ++r) {
      const __m256i av = broadcast_u32(a + r * KR);
      c0[r] = _mm256_dpbusd_avx_epi32(c0[r], av, b0);
      c1[r] = _mm256_dpbusd_avx_epi32(c1[r], av, b1);
    }
    a += MR * KR;
    b += NR * KR;
  }
  store<R>(c0, c1, nr_used, out);
}

// One or two rows leave too few independent vpdpbusd chains to hide its latency (GEMV):
// alternate k steps between two sets of accumulators.
template <int R>
void tile_split_k(size_t nr_used, size_t kp, const uint8_t* a, const int8_t* b, const QgemmTileOut& out) {
  __m256i c0[R], c1[R], d0[R], d1[R];
  for (int r = 0; r < R; ++r) c0[r] = c1[r] = d0[r] = d1[r] = _mm256_setzero_si256();
  size_t k = 0;
  for (; k + 2 * KR <= kp; k += 2 * KR) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
    const __m256i b2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 64));
    const __m256i b3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 96));
    for (int r = 0; r < R; ++r) {
      const __m256i av = broadcast_u32(a + r * KR), aw = broadcast_u32(a + MR * KR + r * KR);
      c0[r] = _mm256_dpbusd_avx_epi32(c0[r], av, b0);
      c1[r] = _mm256_dpbusd_avx_epi32(c1[r], av, b1);
      d0[r] = _mm256_dpbusd_avx_epi32(d0[r], aw, b2);
      d1[r] = _mm256_dpbusd_avx_epi32(d1[r], aw, b3);
    }
    a += 2 * MR * KR;
    b += 2 * NR * KR;
  }
  if (k < kp) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
    for (int r = 0; r < R; ++r) {
      const __m256i av = broadcast_u32(a + r * KR);
      c0[r] = _mm256_dpbusd_avx_epi32(c0[r], av, b0);
      c1[r] = _mm256_dpbusd_avx_epi32(c1[r], av, b1);
    }
  }
  for (int r = 0; r < R; ++r) {
    c0[r] = _mm256_add_epi32(c0[r], d0[r]);
    c1[r] = _mm256_add_epi32(c1[r], d1[r]);
  }
  store<R>(c0, c1, nr_used, out);
}

}  // namespace

void lb_u8_s8_s32_gemm_ukernel_6x16c4__avxvnni(size_t mr_used, size_t nr_used, size_t kp, const void* a_packed,
                                               const void* b_panel, const QgemmTileOut& out) {
  const auto* a = static_cast<const uint8_t*>(a_packed);
  const auto* b = static_cast<const int8_t*>(b_panel);
  switch (mr_used) {
    case 1: return tile_split_k<1>(nr_used, kp, a, b, out);
    case 2: return tile_split_k<2>(nr_used, kp, a, b, out);
    case 3: return tile<3>(nr_used, kp, a, b, out);
    case 4: return tile<4>(nr_used, kp, a, b, out);
    case 5: return tile<5>(nr_used, kp, a, b, out);
    default: return tile<MR>(nr_used, kp, a, b, out);
  }
}

}  // namespace lowbit
#endif
