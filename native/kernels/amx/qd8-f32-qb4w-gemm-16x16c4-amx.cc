// Blockwise int4 linear on AMX tiles, for 16 full rows of int8 activations against one panel
// of 16 columns (the records described in ukernels.h). Per block of g:
//   - the panel's nibbles are unpacked minus their zero points into a B tile of int8 (a record
//     group of 64 bytes holds k0..k0+3 in its low nibbles and k0+4..k0+7 in its high ones, for
//     16 columns 4 bytes apart: exactly two rows of a tdpbssd B tile);
//   - tdpbssd sums xq * (w - zp) over the block: dot - zp * xsum, the reference's integer, with
//     no xsum term left;
//   - the 16x16 int32 tile goes to a buffer and the float epilogue adds
//     float(d) * (sx * sw) into 16 accumulators held in registers, block after block, as
//     lb_linear_qb4_ref does (no fused multiply-add), so results match it bit for bit.
// The vector epilogue, not the tile unit, bounds this kernel; it still does per block what the
// VNNI kernel does per row.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstdint>

#include "../ukernels.h"
#include "tile-config.h"

namespace lowbit {
namespace {

constexpr int MR = 16, NR = 16;

// Two sets, so consecutive blocks overlap: tiles 0 and 3 C (16 x 16 int32), 1 and 4 A (16 rows
// x kstep bytes), 2 and 5 B (kstep / 4 rows x 64 bytes).
TileConfig config_for(size_t kstep) {
  TileConfig c{};
  c.palette_id = 1;
  for (int set = 0; set < 2; ++set) {
    c.rows[3 * set] = 16;
    c.colsb[3 * set] = 64;
    c.rows[3 * set + 1] = 16;
    c.colsb[3 * set + 1] = static_cast<uint16_t>(kstep);
    c.rows[3 * set + 2] = static_cast<uint8_t>(kstep / 4);
    c.colsb[3 * set + 2] = 64;
  }
  return c;
}

// Byte 4c + j of the result = zero point of column c (the B tile's column layout).
__m512i zero_points(const uint8_t* zps) {
  const __m512i z = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(zps)));
  return _mm512_mullo_epi32(z, _mm512_set1_epi32(0x01010101));
}

}  // namespace

// Loading a tile configuration costs hundreds of cycles, as much as a few blocks of a small
// layer: the driver sets it once per run of calls with the same group size, and releases it.
// The three configurations (k steps of 16, 32 and 64), built once in static storage: GCC 12
// drops the stores to a local TileConfig that only ldtilecfg reads (it kept palette_id alone,
// which left every tile unconfigured: SIGILL on the first tile instruction).
const TileConfig kConfigs[3] = {config_for(16), config_for(32), config_for(64)};

void lb_qd8_f32_qb4w_gemm_begin__amx(size_t g) {
  _tile_loadconfig(&kConfigs[g <= 16 ? 0 : g == 32 ? 1 : 2]);
}
void lb_qd8_f32_qb4w_gemm_end__amx() { _tile_release(); }

// Needs the configuration lb_qd8_f32_qb4w_gemm_begin__amx(a.g) set on this thread.
void lb_qd8_f32_qb4w_gemm_ukernel_16x16c4__amx(const Qb4GemmArgs& a) {
  const size_t g = a.g, kstep = g < 64 ? g : 64, steps = g / kstep;
  const size_t lda = a.blocks * g;  // bytes between rows of xq
  const size_t scale_bytes = a.fp16_scales ? 2 : 4;
  const size_t record = qb4_record_bytes(g, a.fp16_scales, a.symmetric);

  alignas(64) int8_t bbuf[2][256 / 4][64];  // B tile rows of the two blocks in flight
  alignas(64) int32_t cbuf[2][MR][NR];
  const __m512i low = _mm512_set1_epi8(0x0F);
  __m512 acc[MR];
  for (int r = 0; r < MR; ++r) acc[r] = _mm512_setzero_ps();

  auto unpack = [&](size_t b, int8_t (*bt)[64]) {
    const uint8_t* rec = a.panel + b * record;
    const __m512i zp = a.symmetric ? _mm512_set1_epi8(8) : zero_points(rec + g * 8 + NR * scale_bytes);
    for (size_t t = 0; t < g / 8; ++t) {
      const __m512i v = _mm512_loadu_si512(rec + 64 * t);  // records are not 64-byte multiples
      const __m512i lo = _mm512_and_si512(v, low);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
      _mm512_store_si512(bt[2 * t], _mm512_sub_epi8(lo, zp));
      _mm512_store_si512(bt[2 * t + 1], _mm512_sub_epi8(hi, zp));
    }
  };
  auto epilogue = [&](size_t b, const int32_t (*c)[NR]) {
    const uint8_t* scales = a.panel + b * record + g * 8;
    const __m512 sw = a.fp16_scales
                          ? _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales)))
                          : _mm512_loadu_ps(scales);
    const float* sx = a.sx + b;
    for (int r = 0; r < MR; ++r) {
      const __m512 p = _mm512_mul_ps(_mm512_set1_ps(sx[r * a.blocks]), sw);  // (sx * sw), as the reference
      const __m512 d = _mm512_cvtepi32_ps(_mm512_load_si512(c[r]));
      acc[r] = _mm512_add_ps(acc[r], _mm512_mul_ps(d, p));
    }
  };
  // Blocks in pairs on the two tile sets: the tile unit works on one pair while the vector
  // units finish the previous one. Each block still adds into acc in order.
  size_t b = 0;
  for (; b + 2 <= a.blocks; b += 2) {
    unpack(b, bbuf[0]);
    unpack(b + 1, bbuf[1]);
    _tile_zero(0);
    _tile_zero(3);
    for (size_t s = 0; s < steps; ++s) {
      _tile_loadd(1, a.xq + b * g + s * kstep, lda);
      _tile_loadd(2, bbuf[0][s * (kstep / 4)], 64);
      _tile_dpbssd(0, 1, 2);
      _tile_loadd(4, a.xq + (b + 1) * g + s * kstep, lda);
      _tile_loadd(5, bbuf[1][s * (kstep / 4)], 64);
      _tile_dpbssd(3, 4, 5);
    }
    _tile_stored(0, cbuf[0], NR * 4);
    _tile_stored(3, cbuf[1], NR * 4);
    epilogue(b, cbuf[0]);
    epilogue(b + 1, cbuf[1]);
  }
  if (b < a.blocks) {
    unpack(b, bbuf[0]);
    _tile_zero(0);
    for (size_t s = 0; s < steps; ++s) {
      _tile_loadd(1, a.xq + b * g + s * kstep, lda);
      _tile_loadd(2, bbuf[0][s * (kstep / 4)], 64);
      _tile_dpbssd(0, 1, 2);
    }
    _tile_stored(0, cbuf[0], NR * 4);
    epilogue(b, cbuf[0]);
  }

  const __mmask16 m = a.nr_used >= NR ? 0xFFFF : static_cast<__mmask16>((1u << a.nr_used) - 1);
  const __m512 bias = a.bias ? _mm512_maskz_loadu_ps(m, a.bias) : _mm512_setzero_ps();
  for (int r = 0; r < MR; ++r) {
    float* y = a.y + r * a.ldy;
    _mm512_mask_storeu_ps(y, m, a.bias ? _mm512_add_ps(acc[r], bias) : acc[r]);
  }
}

}  // namespace lowbit
#endif
