// int8 GEMM tile for AVX-512 VNNI CPUs (Intel Ice Lake / Sapphire Rapids and later, AMD Zen 4
// and later): vpdpbusd zmm, 8 rows x 32 columns, 4 k per lane. Matches lb_qgemm_ref.
// Exact by construction: vpdpbusd accumulates u8*s8 products straight into int32 (no int16
// intermediate, so none of vpmaddubsw's saturation).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstring>

#include "../u8-s8-s32-gemm-dpbusd.h"
#include "qgemm-store-avx512.h"

namespace lowbit {
namespace {

constexpr int MR = 8;

struct Zmm {
  using Vec = __m512i;
  static constexpr int kBytes = 64;
  static Vec zero() { return _mm512_setzero_si512(); }
  static Vec load(const int8_t* p) { return _mm512_loadu_si512(p); }
  static Vec broadcast4(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
  }
  static Vec dot(Vec c, Vec a, Vec b) { return _mm512_dpbusd_epi32(c, a, b); }
  static Vec add(Vec x, Vec y) { return _mm512_add_epi32(x, y); }
  template <int R>
  static void store(const Vec (&acc0)[R], const Vec (&acc1)[R], size_t nr_used, const QgemmTileOut& out) {
    const QgemmStore32 st(nr_used, out);
    for (int r = 0; r < R; ++r) st.row(acc0[r], acc1[r], r, out);
  }
};

}  // namespace

void lb_u8_s8_s32_gemm_ukernel_8x32c4__avx512vnni(size_t mr_used, size_t nr_used, size_t kp, const void* a_packed,
                                                  const void* b_panel, const QgemmTileOut& out) {
  dpbusd_kernel<Zmm, MR>(mr_used, nr_used, kp, a_packed, b_panel, out);
}

}  // namespace lowbit
#endif
