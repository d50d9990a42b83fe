// int4-weight x int8-activation GEMM tile for AVX-512 VNNI CPUs: 16 columns (one zmm lane
// each), up to 8 rows. Each 64-byte group of the panel holds 8 k for 16 columns as nibbles:
// the low nibbles are k0..k0+3 and the high nibbles k0+4..k0+7, already in vpdpbusd's
// 4-bytes-per-lane order, so unpacking is one and + one shift. Weights (0..15) are the
// unsigned operand and activations the signed one: exact. Two accumulators per row (low and
// high nibbles) keep two vpdpbusd chains in flight even for one row (decode).
// Matches lb_linear_qb4_ref bit for bit (same float operations, no fused multiply-add).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstring>

#include "../ukernels.h"

namespace lowbit {
namespace {

inline __m512i broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Mins: ggml q4_1 (scale d and minimum m per block, float16) instead of zero points.
template <int R, bool Mins>
void tile(const Qb4GemmArgs& a) {
  const size_t record = Mins ? q41_record_bytes() : qb4_record_bytes(a.g, a.fp16_scales, a.symmetric);
  const size_t groups = a.g / 8, xstride = a.blocks * a.g;
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    // One or two rows: the low and high nibbles accumulate separately, two chains per row to
    // hide vpdpbusd's latency; more rows give enough chains with one accumulator each (and
    // leave registers for the float sums).
    constexpr bool kSplit = R <= 2;
    __m512i lo_acc[R], hi_acc[kSplit ? R : 1];
    for (int r = 0; r < R; ++r) lo_acc[r] = _mm512_setzero_si512();
    if constexpr (kSplit)
      for (int r = 0; r < R; ++r) hi_acc[r] = _mm512_setzero_si512();
    const int8_t* xb = a.xq + b * a.g;
    for (size_t t = 0; t < groups; ++t) {
      const __m512i v = _mm512_loadu_si512(rec + 64 * t);
      const __m512i lo = _mm512_and_si512(v, nibble);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
      for (int r = 0; r < R; ++r) {
        const int8_t* x = xb + r * xstride + 8 * t;
        lo_acc[r] = _mm512_dpbusd_epi32(lo_acc[r], lo, broadcast4(x));
        if constexpr (kSplit) hi_acc[r] = _mm512_dpbusd_epi32(hi_acc[r], hi, broadcast4(x + 4));
        else lo_acc[r] = _mm512_dpbusd_epi32(lo_acc[r], hi, broadcast4(x + 4));
      }
    }
    const uint8_t* sp = rec + a.g * 8;
    if constexpr (Mins) {
      const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sp)));
      const __m512 mn = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sp + 32)));
      for (int r = 0; r < R; ++r) {
        const __m512i dot = kSplit ? _mm512_add_epi32(lo_acc[r], hi_acc[r]) : lo_acc[r];
        const __m512 sx = _mm512_set1_ps(a.sx[r * a.blocks + b]);
        const __m512 t1 = _mm512_mul_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(sx, d));
        const __m512 t2 = _mm512_mul_ps(_mm512_set1_ps(static_cast<float>(a.xsum[r * a.blocks + b])), _mm512_mul_ps(sx, mn));
        acc[r] = _mm512_add_ps(acc[r], _mm512_add_ps(t1, t2));
      }
      continue;
    }
    const __m512 sw = a.fp16_scales
                          ? _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sp)))
                          : _mm512_loadu_ps(sp);
    const __m512i zp = a.symmetric
                           ? _mm512_setzero_si512()
                           : _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sp + kQb4Nr * (a.fp16_scales ? 2 : 4))));
    for (int r = 0; r < R; ++r) {
      const __m512i dot = kSplit ? _mm512_add_epi32(lo_acc[r], hi_acc[r]) : lo_acc[r];
      const int32_t xsum = a.xsum[r * a.blocks + b];
      const __m512i corr = a.symmetric ? _mm512_set1_epi32(8 * xsum)  // one zero point: no multiply
                                       : _mm512_mullo_epi32(zp, _mm512_set1_epi32(xsum));
      const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(a.sx[r * a.blocks + b]), sw);
      acc[r] = _mm512_add_ps(acc[r], _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(dot, corr)), scale));
    }
  }
  const __mmask16 mask = a.nr_used >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << a.nr_used) - 1);
  const __m512 bias = a.bias ? _mm512_maskz_loadu_ps(mask, a.bias) : _mm512_setzero_ps();
  for (int r = 0; r < R; ++r)
    _mm512_mask_storeu_ps(a.y + r * a.ldy, mask, a.bias ? _mm512_add_ps(acc[r], bias) : acc[r]);
}

template <bool Mins>
void dispatch_rows(const Qb4GemmArgs& a) {
  switch (a.mr_used) {
    case 1: return tile<1, Mins>(a);
    case 2: return tile<2, Mins>(a);
    case 3: return tile<3, Mins>(a);
    case 4: return tile<4, Mins>(a);
    case 5: return tile<5, Mins>(a);
    case 6: return tile<6, Mins>(a);
    case 7: return tile<7, Mins>(a);
    default: return tile<8, Mins>(a);
  }
}

}  // namespace

void lb_qd8_f32_qb4w_gemm_ukernel_8x16c8__avx512vnni(const Qb4GemmArgs& a) { dispatch_rows<false>(a); }
void lb_qd8_f32_q41w_gemm_ukernel_8x16c8__avx512vnni(const Qb4GemmArgs& a) { dispatch_rows<true>(a); }

}  // namespace lowbit
#endif
