// Portable int8 GEMM tile: the path for CPUs without a SIMD kernel, and the baseline the SIMD
// paths are compared with. Matches lb_qgemm_ref (via the driver's zero-point algebra).
#include "../tile-store.h"

namespace lowbit {

void lb_u8_s8_s32_gemm_ukernel_4x4c1__scalar(size_t mr_used, size_t nr_used, size_t kp,
                                             const void* a_packed, const void* b_panel,
                                             const QgemmTileOut& out) {
  constexpr size_t MR = 4, NR = 4;
  const auto* a = static_cast<const uint8_t*>(a_packed);
  const auto* b = static_cast<const int8_t*>(b_panel);
  uint32_t acc[MR][NR] = {};
  for (size_t k = 0; k < kp; ++k) {
    for (size_t m = 0; m < MR; ++m)
      for (size_t n = 0; n < NR; ++n)
        acc[m][n] += static_cast<uint32_t>(a[k * MR + m]) * static_cast<uint32_t>(b[k * NR + n]);
  }
  qgemm_store_tile(reinterpret_cast<const int32_t*>(&acc[0][0]), NR, mr_used, nr_used, out);
}

}  // namespace lowbit
