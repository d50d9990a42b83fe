// Sum of bytes (each xor flip) with vpsadbw: 32 bytes per instruction. Matches
// lb_u8_sum__scalar (wrapping uint32, which for K < 2^24 never wraps).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "../ukernels.h"

namespace lowbit {

uint32_t lb_u8_sum__avx2(const uint8_t* x, size_t n, uint8_t flip) {
  const __m256i f = _mm256_set1_epi8(static_cast<char>(flip)), zero = _mm256_setzero_si256();
  __m256i acc = zero;  // four 64-bit partial sums
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)), f);
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(v, zero));
  }
  alignas(32) uint64_t part[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(part), acc);
  uint64_t sum = part[0] + part[1] + part[2] + part[3];
  for (; i < n; ++i) sum += static_cast<uint8_t>(x[i] ^ flip);
  return static_cast<uint32_t>(sum);
}

}  // namespace lowbit
#endif
