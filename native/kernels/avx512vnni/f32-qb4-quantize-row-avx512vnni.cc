// Blockwise int4 quantization of one weight row (round to nearest, MatMulNBits layout) on
// AVX-512: 16 values per step for the block's range, the rounding and the nibble packing.
// Matches lb_quantize_qb4_row_ref (mse = false) bit for bit: the same float operations in the
// same order, the same first-largest-magnitude rule, fp16 scales rounded like fp32_to_fp16.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "../ukernels.h"

namespace lowbit {
namespace {

inline __mmask16 lanes(size_t n) { return n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1); }

inline float stored(float s, bool fp16) {
  return fp16 ? _cvtsh_ss(_cvtss_sh(s, _MM_FROUND_TO_NEAREST_INT)) : s;
}

}  // namespace

bool lb_f32_qb4_quantize_row__avx512vnni(const float* x, size_t K, size_t g, bool fp16_scales, uint8_t* data,
                                         void* scales, uint8_t* zps) {
  const size_t blocks = (K + g - 1) / g;
  const bool symmetric = zps == nullptr;
  if (!symmetric) std::memset(zps, 0, (blocks + 1) / 2);
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  __mmask16 non_finite = 0;
  for (size_t bi = 0; bi < blocks; ++bi) {
    const float* b = x + bi * g;
    const size_t n = bi + 1 < blocks ? g : K - bi * g;  // real values; the rest is padding
    float scale;
    int zp;
    if (symmetric) {
      __m512 vmax = _mm512_setzero_ps();
      for (size_t i = 0; i < n; i += 16) {
        const __m512 v = _mm512_maskz_loadu_ps(lanes(n - i), b + i);
        non_finite |= _mm512_fpclass_ps_mask(v, 0x99);  // NaN or ±Inf
        vmax = _mm512_max_ps(vmax, _mm512_and_ps(v, abs_mask));
      }
      const float amax = _mm512_reduce_max_ps(vmax);
      float m = 0.f;  // the first value of largest magnitude, with its sign
      if (amax > 0.f) {
        const __m512 target = _mm512_set1_ps(amax);
        for (size_t i = 0; i < n; i += 16) {
          const __m512 v = _mm512_maskz_loadu_ps(lanes(n - i), b + i);
          const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_and_ps(v, abs_mask), target, _CMP_EQ_OQ);
          if (hit) {
            m = b[i + static_cast<size_t>(__builtin_ctz(hit))];
            break;
          }
        }
      }
      scale = stored(m / -8.f, fp16_scales);
      zp = 8;
    } else {
      __m512 vlo = _mm512_setzero_ps(), vhi = _mm512_setzero_ps();
      for (size_t i = 0; i < n; i += 16) {
        const __m512 v = _mm512_maskz_loadu_ps(lanes(n - i), b + i);  // padding lanes are 0: harmless
        non_finite |= _mm512_fpclass_ps_mask(v, 0x99);
        vlo = _mm512_min_ps(vlo, v);
        vhi = _mm512_max_ps(vhi, v);
      }
      const float lo = _mm512_reduce_min_ps(vlo), hi = _mm512_reduce_max_ps(vhi);
      scale = stored((hi - lo) / 15.f, fp16_scales);
      zp = 0;
      if (scale != 0.f) {
        const float z = _mm_cvtss_f32(_mm_round_ss(_mm_setzero_ps(), _mm_set_ss(-lo / scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        zp = static_cast<int>(z < 0.f ? 0.f : z > 15.f ? 15.f : z);
      }
      zps[bi / 2] |= static_cast<uint8_t>(zp << (4 * (bi % 2)));
    }
    if (fp16_scales) static_cast<uint16_t*>(scales)[bi] = static_cast<uint16_t>(_cvtss_sh(scale, _MM_FROUND_TO_NEAREST_INT));
    else static_cast<float*>(scales)[bi] = scale;
    const __m512 inv = _mm512_set1_ps(scale != 0.f ? 1.f / scale : 0.f);
    const __m512 zpf = _mm512_set1_ps(static_cast<float>(zp));
    const __m512 fifteen = _mm512_set1_ps(15.f);
    const __m128i lo_byte = _mm_set1_epi16(0x00FF);
    uint8_t* d = data + bi * (g / 2);
    for (size_t i = 0; i < g; i += 16) {  // g is a multiple of 16
      const __mmask16 real = i < n ? lanes(n - i) : 0;
      const __m512 v = _mm512_maskz_loadu_ps(real, b + i);
      __m512 r = _mm512_mul_ps(v, inv);
      r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r, r, _CMP_ORD_Q), r);  // 0 · ∞ → 0, as the reference
      r = _mm512_add_ps(_mm512_roundscale_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zpf);
      r = _mm512_min_ps(_mm512_max_ps(r, _mm512_setzero_ps()), fifteen);
      r = _mm512_mask_blend_ps(real, zpf, r);  // padding stores the zero point
      const __m128i q = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(r));  // 16 values 0..15
      // Pairs (2j, 2j+1) -> one byte, element 2j in the low nibble.
      const __m128i packed = _mm_or_si128(_mm_and_si128(q, lo_byte), _mm_slli_epi16(_mm_srli_epi16(q, 8), 4));
      const __m128i bytes = _mm_packus_epi16(packed, packed);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(d + i / 2), bytes);
    }
  }
  return non_finite == 0;
}

}  // namespace lowbit
#endif
