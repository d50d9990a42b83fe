// The int4-weight (and ggml q4_1 / q8_0) x int8-activation GEMM tiles on 256-bit vectors,
// shared by the AVX2 and AVX-VNNI tiers: 16 columns as two ymm halves (the 64-byte group holds columns 0-7 in its
// first 32 bytes, 8-15 in the rest), up to 4 rows. `Dot::add(acc, lo, x0, hi, x1)` adds the
// exact int32 dot products of the low nibbles with x0 and the high nibbles with x1 per lane;
// each tier's file supplies it with its own instructions (this header is only included from
// files compiled with AVX2 flags). Match lb_linear_qb4_ref, lb_linear_q4_1_ref and
// lb_linear_q8_0_ref bit for bit.
#pragma once

#include <immintrin.h>

#include <cstring>

#include "ukernels.h"

namespace lowbit {
// Internal linkage: the files including this are compiled with different ISA flags, and must
// not share (or have the linker pick between) each other's copies.
namespace {

inline __m256i broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// Mins: ggml q4_1 records (g = 32, float16 d and m; y += dot·(sx·d) + xsum·(sx·m)).
// Rows of 16 float sums (two ymm halves) to y, plus the bias when there is one.
template <int R>
inline void store_rows_ymm(const __m256 (&acc)[R][2], const Qb4GemmArgs& a) {
  alignas(32) float tmp[16];
  for (int r = 0; r < R; ++r) {
    _mm256_store_ps(tmp, acc[r][0]);
    _mm256_store_ps(tmp + 8, acc[r][1]);
    float* y = a.y + r * a.ldy;
    for (size_t c = 0; c < a.nr_used; ++c) y[c] = a.bias ? tmp[c] + a.bias[c] : tmp[c];
  }
}

template <typename Dot, int R, bool Mins>
void qb4w_tile_ymm(const Qb4GemmArgs& a) {
  const size_t record = Mins ? q41_record_bytes() : qb4_record_bytes(a.g, a.fp16_scales, a.symmetric);
  const size_t groups = a.g / 8, xstride = a.blocks * a.g;
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  __m256 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    __m256i dot[R][2];
    for (int r = 0; r < R; ++r) dot[r][0] = dot[r][1] = _mm256_setzero_si256();
    const int8_t* xb = a.xq + b * a.g;
    for (size_t t = 0; t < groups; ++t) {
      for (int h = 0; h < 2; ++h) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + 64 * t + 32 * h));
        const __m256i lo = _mm256_and_si256(v, nibble);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
        for (int r = 0; r < R; ++r) {
          const int8_t* x = xb + r * xstride + 8 * t;
          dot[r][h] = Dot::add(dot[r][h], lo, broadcast4(x), hi, broadcast4(x + 4));
        }
      }
    }
    const uint8_t* sp = rec + a.g * 8;
    if constexpr (Mins) {
      for (int h = 0; h < 2; ++h) {
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sp + 16 * h)));
        const __m256 mn = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sp + 32 + 16 * h)));
        for (int r = 0; r < R; ++r) {
          const __m256 sx = _mm256_set1_ps(a.sx[r * a.blocks + b]);
          const __m256 t1 = _mm256_mul_ps(_mm256_cvtepi32_ps(dot[r][h]), _mm256_mul_ps(sx, d));
          const __m256 t2 = _mm256_mul_ps(_mm256_set1_ps(static_cast<float>(a.xsum[r * a.blocks + b])), _mm256_mul_ps(sx, mn));
          acc[r][h] = _mm256_add_ps(acc[r][h], _mm256_add_ps(t1, t2));
        }
      }
      continue;
    }
    __m256 sw[2];
    __m256i zp[2];
    for (int h = 0; h < 2; ++h) {
      sw[h] = a.fp16_scales ? _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sp + 16 * h)))
                            : _mm256_loadu_ps(reinterpret_cast<const float*>(sp) + 8 * h);
      zp[h] = a.symmetric ? _mm256_setzero_si256()
                          : _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(
                                sp + kQb4Nr * (a.fp16_scales ? 2 : 4) + 8 * h)));
    }
    for (int r = 0; r < R; ++r) {
      const int32_t xsum = a.xsum[r * a.blocks + b];
      const __m256 sx = _mm256_set1_ps(a.sx[r * a.blocks + b]);
      for (int h = 0; h < 2; ++h) {
        const __m256i corr = a.symmetric ? _mm256_set1_epi32(8 * xsum) : _mm256_mullo_epi32(zp[h], _mm256_set1_epi32(xsum));
        const __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(dot[r][h], corr)), _mm256_mul_ps(sx, sw[h]));
        acc[r][h] = _mm256_add_ps(acc[r][h], t);
      }
    }
  }
  store_rows_ymm<R>(acc, a);
}

// ggml q8_0 records (g = 32): 8 groups of 64 bytes, byte 4c + j = w[c][k0 + j] + 128, then 16
// float16 d; y += float(Σ xq·w) · (sx·d). `Dot::add8(acc, w_plus_128, x)` adds Σ x·w (+ 128·Σ x
// if the tier's instruction needs the unsigned form: Dot::kQ8Offset says which).
template <typename Dot, int R>
void qb8w_tile_ymm(const Qb4GemmArgs& a) {
  constexpr size_t g = 32;
  const size_t record = qb8_record_bytes(), xstride = a.blocks * g;
  __m256 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (size_t b = 0; b < a.blocks; ++b) {
    const uint8_t* rec = a.panel + b * record;
    __m256i dot[R][2];
    for (int r = 0; r < R; ++r) dot[r][0] = dot[r][1] = _mm256_setzero_si256();
    const int8_t* xb = a.xq + b * g;
    for (size_t t = 0; t < g / 4; ++t) {
      for (int h = 0; h < 2; ++h) {
        const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + 64 * t + 32 * h));
        for (int r = 0; r < R; ++r) dot[r][h] = Dot::add8(dot[r][h], w, broadcast4(xb + r * xstride + 4 * t));
      }
    }
    const uint8_t* sp = rec + g * 16;
    for (int h = 0; h < 2; ++h) {
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sp + 16 * h)));
      for (int r = 0; r < R; ++r) {
        const __m256i corr = _mm256_set1_epi32(Dot::kQ8Offset * a.xsum[r * a.blocks + b]);
        const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(a.sx[r * a.blocks + b]), d);
        acc[r][h] = _mm256_add_ps(acc[r][h], _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(dot[r][h], corr)), scale));
      }
    }
  }
  store_rows_ymm<R>(acc, a);
}

template <typename Dot, bool Mins>
void qb4w_gemm_4x16c8_ymm(const Qb4GemmArgs& a) {
  switch (a.mr_used) {
    case 1: return qb4w_tile_ymm<Dot, 1, Mins>(a);
    case 2: return qb4w_tile_ymm<Dot, 2, Mins>(a);
    case 3: return qb4w_tile_ymm<Dot, 3, Mins>(a);
    default: return qb4w_tile_ymm<Dot, 4, Mins>(a);
  }
}

template <typename Dot>
void qb8w_gemm_4x16c4_ymm(const Qb4GemmArgs& a) {
  switch (a.mr_used) {
    case 1: return qb8w_tile_ymm<Dot, 1>(a);
    case 2: return qb8w_tile_ymm<Dot, 2>(a);
    case 3: return qb8w_tile_ymm<Dot, 3>(a);
    default: return qb8w_tile_ymm<Dot, 4>(a);
  }
}

}  // namespace
}  // namespace lowbit
