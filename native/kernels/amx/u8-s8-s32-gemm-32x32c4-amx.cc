// int8 GEMM tile for CPUs with AMX-INT8 (Intel Sapphire Rapids and later): 32 rows x 32
// columns as four 16x16 int32 tile accumulators, 64 k per step (tdpbusd: u8 x s8 -> s32,
// exact). B is read straight from the VNNI panel layout [k/4][32][4]: a 16x64-byte B tile is
// 16 rows of 4-k groups, 128 bytes apart. A arrives packed [k/64][32][64] (row-major 64-k
// slices) or, for full tiles of uint8 A with K a multiple of 64, as the caller's own rows
// (tileloadd takes a row stride, so packing would only copy). Matches lb_qgemm_ref; its
// epilogue is the AVX-512 one, skipped for int32 tiles without zero-point terms.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include <cstdint>

#include "../avx512vnni/qgemm-store-avx512.h"

namespace lowbit {
namespace {

constexpr int MR = 32, NR = 32, KSTEP = 64;

struct alignas(64) TileConfig {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

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
  // Packed A: rows KSTEP bytes apart, tiles of 32 rows per k step. Direct A: the caller's rows.
  const size_t a_stride = out.lda ? out.lda : KSTEP;
  const size_t a_step = out.lda ? KSTEP : MR * KSTEP;
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
      a += a_step;
      b += NR * KSTEP;
    }
    if (out.c && out.plain && mr_used == MR && nr_used == NR) {
      const size_t ldc = out.ldc * sizeof(int32_t);
      _tile_stored(0, out.c, ldc);
      _tile_stored(1, out.c + 16, ldc);
      _tile_stored(2, out.c + 16 * out.ldc, ldc);
      _tile_stored(3, out.c + 16 * out.ldc + 16, ldc);
      return;
    }
    _tile_stored(2, &acc[16][0], NR * 4);
    _tile_stored(3, &acc[16][16], NR * 4);
  } else {
    for (size_t k = 0; k < kp; k += KSTEP) {
      _tile_loadd(4, a, a_stride);
      _tile_loadd(6, b, NR * 4);
      _tile_loadd(7, b + 64, NR * 4);
      _tile_dpbusd(0, 4, 6);
      _tile_dpbusd(1, 4, 7);
      a += a_step;
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
