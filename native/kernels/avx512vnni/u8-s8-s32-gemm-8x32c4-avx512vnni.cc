// int8 GEMM tile for AVX-512 VNNI CPUs (Intel Ice Lake / Sapphire Rapids and later, AMD Zen 4
// and later): vpdpbusd zmm, 8 rows x 32 columns, 4 k per lane. Matches lb_qgemm_ref.
// Exact by construction: vpdpbusd accumulates u8*s8 products straight into int32 (no int16
// intermediate, so none of vpmaddubsw's saturation).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstring>

#include "qgemm-store-avx512.h"

namespace lowbit {
namespace {

constexpr int MR = 8, NR = 32, KR = 4;

inline __m512i broadcast_u32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

template <int R>
void store(const __m512i (&acc0)[R], const __m512i (&acc1)[R], size_t nr_used, const QgemmTileOut& out) {
  const QgemmStore32 st(nr_used, out);
  for (int r = 0; r < R; ++r) st.row(acc0[r], acc1[r], r, out);
}

template <int R>
void tile(size_t nr_used, size_t kp, const uint8_t* a, const int8_t* b, const QgemmTileOut& out) {
  __m512i c0[R], c1[R];
  for (int r = 0; r < R; ++r) c0[r] = c1[r] = _mm512_setzero_si512();
#pragma GCC unroll 2
  for (size_t k = 0; k < kp; k += KR) {
    const __m512i b0 = _mm512_loadu_si512(b);
    const __m512i b1 = _mm512_loadu_si512(b + 64);
    for (int r = 0; r < R; ++r) {
      const __m512i av = broadcast_u32(a + r * KR);
      c0[r] = _mm512_dpbusd_epi32(c0[r], av, b0);
      c1[r] = _mm512_dpbusd_epi32(c1[r], av, b1);
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
  __m512i c0[R], c1[R], d0[R], d1[R];
  for (int r = 0; r < R; ++r) c0[r] = c1[r] = d0[r] = d1[r] = _mm512_setzero_si512();
  size_t k = 0;
  for (; k + 2 * KR <= kp; k += 2 * KR) {
    const __m512i b0 = _mm512_loadu_si512(b);
    const __m512i b1 = _mm512_loadu_si512(b + 64);
    const __m512i b2 = _mm512_loadu_si512(b + 128);
    const __m512i b3 = _mm512_loadu_si512(b + 192);
    for (int r = 0; r < R; ++r) {
      const __m512i av = broadcast_u32(a + r * KR);
      const __m512i aw = broadcast_u32(a + MR * KR + r * KR);
      c0[r] = _mm512_dpbusd_epi32(c0[r], av, b0);
      c1[r] = _mm512_dpbusd_epi32(c1[r], av, b1);
      d0[r] = _mm512_dpbusd_epi32(d0[r], aw, b2);
      d1[r] = _mm512_dpbusd_epi32(d1[r], aw, b3);
    }
    a += 2 * MR * KR;
    b += 2 * NR * KR;
  }
  if (k < kp) {
    const __m512i b0 = _mm512_loadu_si512(b);
    const __m512i b1 = _mm512_loadu_si512(b + 64);
    for (int r = 0; r < R; ++r) {
      const __m512i av = broadcast_u32(a + r * KR);
      c0[r] = _mm512_dpbusd_epi32(c0[r], av, b0);
      c1[r] = _mm512_dpbusd_epi32(c1[r], av, b1);
    }
  }
  for (int r = 0; r < R; ++r) {
    c0[r] = _mm512_add_epi32(c0[r], d0[r]);
    c1[r] = _mm512_add_epi32(c1[r], d1[r]);
  }
  store<R>(c0, c1, nr_used, out);
}

}  // namespace

void lb_u8_s8_s32_gemm_ukernel_8x32c4__avx512vnni(size_t mr_used, size_t nr_used, size_t kp,
                                                  const void* a_packed, const void* b_panel,
                                                  const QgemmTileOut& out) {
  const auto* a = static_cast<const uint8_t*>(a_packed);
  const auto* b = static_cast<const int8_t*>(b_panel);
  switch (mr_used) {
    case 1: return tile_split_k<1>(nr_used, kp, a, b, out);
    case 2: return tile_split_k<2>(nr_used, kp, a, b, out);
    case 3: return tile<3>(nr_used, kp, a, b, out);
    case 4: return tile<4>(nr_used, kp, a, b, out);
    case 5: return tile<5>(nr_used, kp, a, b, out);
    case 6: return tile<6>(nr_used, kp, a, b, out);
    case 7: return tile<7>(nr_used, kp, a, b, out);
    default: return tile<MR>(nr_used, kp, a, b, out);
  }
}

}  // namespace lowbit
#endif
