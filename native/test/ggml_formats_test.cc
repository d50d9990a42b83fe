// ggml block formats: bit-exact with ggml's own bytes (test/fixtures/ggml-vectors, made by
// ggml's reference quantizer), the DESIGN's worked example, and fp16 conversion against F16C.
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "lowbit/formats.h"
#include "ref/ref.h"
#include "test-util.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace lowbit::test {
namespace {

std::vector<uint8_t> fixture(const std::string& name) {
  std::ifstream f(std::string(LOWBIT_FIXTURES) + "/ggml-vectors/" + name, std::ios::binary);
  EXPECT_TRUE(f.good()) << "missing fixture " << name;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
std::vector<float> floats(const std::vector<uint8_t>& bytes) {
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

template <typename Block>
void check_vectors(const char* name, void (*quant)(const float*, Block*, size_t),
                   void (*dequant)(const Block*, float*, size_t)) {
  const std::vector<float> w = floats(fixture("weights.f32"));
  const std::vector<uint8_t> want = fixture(std::string(name) + ".bin");
  const std::vector<float> want_deq = floats(fixture(std::string(name) + ".dequant.f32"));
  ASSERT_EQ(w.size(), 64u * 256u);
  std::vector<Block> blocks(w.size() / kGgmlBlock);
  ASSERT_EQ(want.size(), blocks.size() * sizeof(Block));
  quant(w.data(), blocks.data(), w.size());
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(reinterpret_cast<const uint8_t*>(blocks.data())[i], want[i]) << name << " byte " << i << " (block " << i / sizeof(Block) << ")";
  std::vector<float> deq(w.size());
  dequant(reinterpret_cast<const Block*>(want.data()), deq.data(), deq.size());
  for (size_t i = 0; i < deq.size(); ++i)
    ASSERT_EQ(std::memcmp(&deq[i], &want_deq[i], 4), 0) << name << " value " << i << ": " << deq[i] << " vs " << want_deq[i];
}

TEST(GgmlFormats, Q4_0MatchesGgmlBytes) { check_vectors<block_q4_0>("q4_0", lb_quantize_row_q4_0_ref, lb_dequantize_row_q4_0_ref); }
TEST(GgmlFormats, Q4_1MatchesGgmlBytes) { check_vectors<block_q4_1>("q4_1", lb_quantize_row_q4_1_ref, lb_dequantize_row_q4_1_ref); }
TEST(GgmlFormats, Q8_0MatchesGgmlBytes) { check_vectors<block_q8_0>("q8_0", lb_quantize_row_q8_0_ref, lb_dequantize_row_q8_0_ref); }

TEST(GgmlFormats, Q4_0WorkedExample) {
  float ramp[32];
  for (int i = 0; i < 32; ++i) ramp[i] = static_cast<float>(i - 12);
  block_q4_0 b;
  lb_quantize_row_q4_0_ref(ramp, &b, 32);
  const uint8_t want[18] = {0xc0, 0xc0, 0x6d, 0x6d, 0x5c, 0x5c, 0x5b, 0x4b, 0x4b,
                            0x3a, 0x3a, 0x39, 0x29, 0x28, 0x18, 0x18, 0x07, 0x07};
  EXPECT_EQ(std::memcmp(&b, want, 18), 0);
}

TEST(GgmlFormats, ZeroBlocksHaveZeroScale) {
  const float zeros[32] = {};
  block_q4_0 a;
  block_q4_1 b;
  block_q8_0 c;
  lb_quantize_row_q4_0_ref(zeros, &a, 32);
  lb_quantize_row_q4_1_ref(zeros, &b, 32);
  lb_quantize_row_q8_0_ref(zeros, &c, 32);
  EXPECT_EQ(a.d, 0x8000);  // d = 0 / -8 = -0, exactly as ggml stores it
  EXPECT_EQ(b.d, 0);
  EXPECT_EQ(c.d, 0);
  float y[32];
  lb_dequantize_row_q4_0_ref(&a, y, 32);
  for (float v : y) EXPECT_EQ(v, 0.f);
}

#if defined(__x86_64__)
__attribute__((target("f16c"))) uint16_t f16c_from(float f) {
  return static_cast<uint16_t>(_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT), 0));
}
__attribute__((target("f16c"))) float f16c_to(uint16_t h) {
  return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

TEST(Fp16, MatchesF16cOnEveryHalfAndManyFloats) {
  if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "no F16C on this CPU";
  for (uint32_t h = 0; h < 65536; ++h) {
    const float a = fp16_to_fp32(static_cast<uint16_t>(h)), b = f16c_to(static_cast<uint16_t>(h));
    if (std::isnan(b)) { ASSERT_TRUE(std::isnan(a)) << h; continue; }
    ASSERT_EQ(std::memcmp(&a, &b, 4), 0) << "half " << h;
  }
  std::mt19937_64 rng(seed() + 30);
  // Every float whose bits are close to a half boundary, plus random ones of all magnitudes.
  for (uint64_t i = 0; i < (1u << 22); ++i) {
    uint32_t bits = static_cast<uint32_t>(rng());
    if (i & 1) bits = (bits & 0xFFFFE000u) | ((i & 2) ? 0x1000u : 0x0FFFu);  // ties and near-ties
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), f16c_from(f)) << std::hexfloat << f;
  }
  for (float f : {65504.f, 65519.f, 65520.f, 1e9f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f,
                  6.1035156e-5f, 6.1035153e-5f, std::numeric_limits<float>::denorm_min(),
                  std::numeric_limits<float>::infinity(), -0.f})
    EXPECT_EQ(fp32_to_fp16(f), f16c_from(f)) << std::hexfloat << f;
}
#endif

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

// Edge cases, checked against values worked out by hand from ggml's arithmetic.
TEST(GgmlFormats, EdgeCases) {
  float b[32] = {};
  block_q4_0 q;
  // One huge value: it takes the -8 level, everything else rounds to 0 (q = 8).
  b[5] = 1000.f;
  b[6] = 1.f;
  lb_quantize_row_q4_0_ref(b, &q, 32);
  EXPECT_EQ(fp16_to_fp32(q.d), -125.f);
  EXPECT_EQ(q.qs[5] & 0x0F, 0);
  EXPECT_EQ(q.qs[6] & 0x0F, 8);
  // +max and -max tie: the first one seen sets the sign of d.
  std::fill(b, b + 32, 0.f);
  b[3] = -2.f;
  b[9] = 2.f;
  lb_quantize_row_q4_0_ref(b, &q, 32);
  EXPECT_EQ(fp16_to_fp32(q.d), 0.25f);  // max = -2 -> d = -2 / -8
  EXPECT_EQ(q.qs[3] & 0x0F, 0);          // -2 * 4 + 8.5 -> 0
  EXPECT_EQ(q.qs[9] & 0x0F, 15);         // 2 * 4 + 8.5 = 16.5 -> 16 -> clamped to 15
  // Subnormal weights: d underflows to an fp16 subnormal or zero, no division by zero.
  std::fill(b, b + 32, 1e-40f);
  lb_quantize_row_q4_0_ref(b, &q, 32);
  EXPECT_EQ(q.d & 0x7FFF, 0);
  block_q8_0 q8;
  lb_quantize_row_q8_0_ref(b, &q8, 32);
  EXPECT_EQ(q8.d, 0);
  // A scale beyond fp16's range is stored as infinity, exactly as ggml does.
  std::fill(b, b + 32, 0.f);
  b[0] = 1e6f;
  lb_quantize_row_q4_0_ref(b, &q, 32);
  EXPECT_EQ(q.d, 0xFC00);  // d = -125000 -> -inf
  lb_quantize_row_q8_0_ref(b, &q8, 32);
  EXPECT_EQ(fp16_to_fp32(q8.d), 7876.f);  // 1e6 / 127 = 7874.02: fp16 steps by 4 here, nearest 7876
}

}  // namespace
}  // namespace lowbit::test
