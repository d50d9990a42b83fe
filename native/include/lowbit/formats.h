// Quantized block formats exchanged with other tools. ggml's blocks are bit-exact with ggml's
// reference quantizers (quantize_row_q4_0_ref, ...); all fields little-endian, fp16 is IEEE
// half. lowbit's own layouts (int4 MatMulNBits) are described where they are produced.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lowbit {

constexpr size_t kGgmlBlock = 32;  // weights per block for q4_0, q4_1, q8_0

struct block_q4_0 {  // weight = (q - 8) * d; byte j: element j low nibble, element j + 16 high
  uint16_t d;
  uint8_t qs[kGgmlBlock / 2];
};
struct block_q4_1 {  // weight = q * d + m
  uint16_t d;
  uint16_t m;
  uint8_t qs[kGgmlBlock / 2];
};
struct block_q8_0 {  // weight = q * d
  uint16_t d;
  int8_t qs[kGgmlBlock];
};
static_assert(sizeof(block_q4_0) == 18, "block_q4_0 is 18 bytes");
static_assert(sizeof(block_q4_1) == 20, "block_q4_1 is 20 bytes");
static_assert(sizeof(block_q8_0) == 34, "block_q8_0 is 34 bytes");

enum class GgmlType : int { q4_0, q4_1, q8_0 };
size_t ggml_block_bytes(GgmlType t);

// IEEE half <-> float: round to nearest even, subnormals and overflow to infinity included.
uint16_t fp32_to_fp16(float f);
float fp16_to_fp32(uint16_t h);

}  // namespace lowbit
