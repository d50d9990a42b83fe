// Peak probe for AMX-INT8: tdpbusd into four independent 16x16 tiles (16 x 16 x 64 MACs each)
// from tiles that stay in registers.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../ukernels.h"

namespace lowbit {

uint64_t lb_probe_int8__amx(uint64_t iterations) {
  alignas(64) static const uint8_t zeros[16 * 64] = {};
  lb_u8_s8_s32_gemm_begin__amx();  // every tile 16 rows x 64 bytes
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, zeros, 64);
  _tile_loadd(5, zeros, 64);
  _tile_loadd(6, zeros, 64);
  _tile_loadd(7, zeros, 64);
  for (uint64_t i = 0; i < iterations; ++i) {
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(2, 5, 6);
    _tile_dpbusd(3, 5, 7);
  }
  alignas(64) int32_t out[16 * 16];
  _tile_stored(0, out, 64);
  lb_u8_s8_s32_gemm_end__amx();
  volatile int32_t sink = out[0];
  (void)sink;
  return iterations * 4 * 16 * 16 * 64;
}

}  // namespace lowbit
#endif
