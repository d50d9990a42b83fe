// int8 GEMM tile for CPUs with AMX-INT8 (Intel Sapphire Rapids and later): 32 rows x 32
// columns as four 16x16 int32 tile accumulators, 64 k per step (tdpbusd: u8 x s8 -> s32,
// exact). B is read straight from the VNNI panel layout [k/4][32][4]: a 16x64-byte B tile is
// 16 rows of 4-k groups, 128 bytes apart. A is row-major (tileloadd takes a row stride): the
// caller's own rows where they can be read as they are, else rows packed kp apart (which
// load faster than 64-k slices packed contiguously: 250 vs 214 kcycles per 512^3 in a
// scratch measurement). Matches lb_qgemm_ref; its
// epilogue is the AVX-512 one, skipped for int32 tiles without zero-point terms whose rows
// start on cache lines.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstdint>

#include "../avx512vnni/qgemm-store-avx512.h"
#include "tile-config.h"

namespace lowbit {
namespace {

constexpr int MR = 32, NR = 32, KSTEP = 64;

// All eight tiles 16 rows x 64 bytes: C 0-3 (int32 16x16), A 4-5 (16 rows x 64 k), B 6-7.
const TileConfig kConfig = [] {
  TileConfig c{};
  c.palette_id = 1;
  for (int i = 0; i < 8; ++i) {
    c.rows[i] = 16;
    c.colsb[i] = 64;
  }
  return c;
}();

// c[r][0..31] = acc[r][0..31] for 32 rows that do not start on cache lines. Each row's 128
// bytes touch three lines; storing whole and partial lines at line addresses (a lane shift
// each) beats two stores that each straddle a line.
void store_rows_unaligned(const int32_t* acc, int32_t* c, size_t ldc) {
  const size_t s = reinterpret_cast<uintptr_t>(c) % 64 / 4;
  if (reinterpret_cast<uintptr_t>(c) % 4 != 0 || ldc % 16 != 0) {  // rows differ: no pattern
    for (size_t r = 0; r < MR; ++r) {
      _mm512_storeu_si512(c + r * ldc, _mm512_load_si512(acc + r * NR));
      _mm512_storeu_si512(c + r * ldc + 16, _mm512_load_si512(acc + r * NR + 16));
    }
    return;
  }
  // Lane i of the first line holds column i - s, of the second 16 - s + i, of the third the same mod 16.
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i mid = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int>(16 - s)));
  const __m512i wrap = _mm512_and_si512(mid, _mm512_set1_epi32(15));
  const __mmask16 head = static_cast<__mmask16>(0xFFFFu << s), tail = static_cast<__mmask16>(~head);
  int32_t* line = c - s;
  for (size_t r = 0; r < MR; ++r, line += ldc) {
    const __m512i v0 = _mm512_load_si512(acc + r * NR), v1 = _mm512_load_si512(acc + r * NR + 16);
    _mm512_mask_storeu_epi32(line, head, _mm512_permutexvar_epi32(wrap, v0));
    _mm512_store_si512(line + 16, _mm512_permutex2var_epi32(v0, mid, v1));
    _mm512_mask_storeu_epi32(line + 32, tail, _mm512_permutexvar_epi32(wrap, v1));
  }
}

}  // namespace

// The tile configuration is per thread and loading it costs hundreds of cycles: the driver
// sets it once per run of tiles and releases the tiles after (other code on the thread, such
// as another library's AMX kernels, may use its own configuration in between).
void lb_u8_s8_s32_gemm_begin__amx() { _tile_loadconfig(&kConfig); }
void lb_u8_s8_s32_gemm_end__amx() { _tile_release(); }

void lb_u8_s8_s32_gemm_ukernel_32x32c4__amx(size_t mr_used, size_t nr_used, size_t kp,
                                            const void* a_packed, const void* b_panel,
                                            const QgemmTileOut& out) {
  const auto* a = static_cast<const uint8_t*>(a_packed);
  const auto* b = static_cast<const int8_t*>(b_panel);
  const size_t a_stride = out.lda;
  alignas(64) int32_t acc[MR][NR];
  _tile_zero(0);
  _tile_zero(1);
  if (mr_used > 16) {
    _tile_zero(2);
    _tile_zero(3);
    // Loads interleaved with the products that do not need them, so they overlap.
    for (size_t k = 0; k < kp; k += KSTEP) {
      _tile_loadd(4, a, a_stride);
      _tile_loadd(6, b, NR * 4);
      _tile_dpbusd(0, 4, 6);
      _tile_loadd(7, b + 64, NR * 4);
      _tile_dpbusd(1, 4, 7);
      _tile_loadd(5, a + 16 * a_stride, a_stride);
      _tile_dpbusd(2, 5, 6);
      _tile_dpbusd(3, 5, 7);
      a += KSTEP;
      b += NR * KSTEP;
    }
    // A tile store writes 16 rows of 64 bytes: rows that straddle cache lines cost twice the
    // stores (JavaScript's large buffers start 16 bytes past a page), so those go through acc.
    const bool c_aligned = out.c && reinterpret_cast<uintptr_t>(out.c) % 64 == 0 && out.ldc % 16 == 0;
    if (c_aligned && out.plain && mr_used == MR && nr_used == NR) {
      const size_t ldc = out.ldc * sizeof(int32_t);
      _tile_stored(0, out.c, ldc);
      _tile_stored(1, out.c + 16, ldc);
      _tile_stored(2, out.c + 16 * out.ldc, ldc);
      _tile_stored(3, out.c + 16 * out.ldc + 16, ldc);
      return;
    }
    _tile_stored(2, &acc[16][0], NR * 4);
    _tile_stored(3, &acc[16][16], NR * 4);
    if (out.c && out.plain && mr_used == MR && nr_used == NR) {  // c = acc, rows off cache lines
      _tile_stored(0, &acc[0][0], NR * 4);
      _tile_stored(1, &acc[0][16], NR * 4);
      store_rows_unaligned(&acc[0][0], out.c, out.ldc);
      return;
    }
  } else {
    for (size_t k = 0; k < kp; k += KSTEP) {
      _tile_loadd(4, a, a_stride);
      _tile_loadd(6, b, NR * 4);
      _tile_loadd(7, b + 64, NR * 4);
      _tile_dpbusd(0, 4, 6);
      _tile_dpbusd(1, 4, 7);
      a += KSTEP;
      b += NR * KSTEP;
    }
  }
  _tile_stored(0, &acc[0][0], NR * 4);
  _tile_stored(1, &acc[0][16], NR * 4);
  const QgemmStore32 st(nr_used, out);
  for (size_t r = 0; r < mr_used; ++r)
    st.row(_mm512_load_si512(&acc[r][0]), _mm512_load_si512(&acc[r][16]), r, out);
}

}  // namespace lowbit
#endif
