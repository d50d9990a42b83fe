// Blockwise int4 (MatMulNBits layout): the nibble layout, padding, error bounds, float16
// scales, zero points, and the MSE method never worse than round-to-nearest.
#include <cmath>
#include <cstring>

#include "dispatch/dispatch.h"
#include "ref/ref.h"
#include "test-util.h"

namespace lowbit::test {
namespace {

struct Quantized {
  Qb4Layout l;
  std::vector<uint8_t> data, scales, zps;
  std::vector<float> back;
};

Quantized run(const std::vector<float>& w, size_t N, size_t K, size_t g, bool symmetric, bool fp16, bool mse) {
  Quantized q;
  q.l.N = N;
  q.l.K = K;
  q.l.group = g;
  q.l.symmetric = symmetric;
  q.l.fp16_scales = fp16;
  q.data.resize(q.l.data_bytes());
  q.scales.resize(q.l.scale_bytes());
  q.zps.resize(q.l.zp_bytes());
  Qb4Buffers b;
  b.data = q.data.data();
  b.scales = q.scales.data();
  b.zero_points = symmetric ? nullptr : q.zps.data();
  EXPECT_EQ(quantize_qb4(w.data(), q.l, mse, b), Status::ok);
  q.back.resize(N * K);
  EXPECT_EQ(dequantize_qb4(b, q.l, q.back.data()), Status::ok);
  return q;
}

TEST(Int4, LayoutOfAKnownBlock) {
  std::vector<float> w(16);
  for (int i = 0; i < 16; ++i) w[i] = static_cast<float>(i - 8);  // m = -8 -> scale 1, q = x + 8
  const Quantized q = run(w, 1, 16, 16, true, false, false);
  for (size_t j = 0; j < 8; ++j) EXPECT_EQ(q.data[j], static_cast<uint8_t>((2 * j) | ((2 * j + 1) << 4))) << j;
  float s;
  std::memcpy(&s, q.scales.data(), 4);
  EXPECT_EQ(s, 1.f);
  EXPECT_EQ(q.back, w);
}

TEST(Int4, ErrorBoundsPaddingAndZeroBlocks) {
  std::mt19937_64 rng(seed() + 40);
  std::normal_distribution<float> gauss(0.f, 0.05f);
  for (size_t g : {16, 32, 64, 128, 256})
    for (size_t K : {g, g + 1, 3 * g - 5, size_t{1000}})
      for (bool symmetric : {true, false})
        for (bool fp16 : {false, true}) {
          const size_t N = 5;
          std::vector<float> w(N * K);
          for (auto& v : w) v = gauss(rng);
          for (size_t k = 0; k < K; ++k) w[2 * K + k] = 0.f;  // an all-zero row
          w[3 * K + K / 2] = 2.f;                             // an outlier
          const Quantized q = run(w, N, K, g, symmetric, fp16, false);
          const size_t blocks = q.l.blocks();
          for (size_t n = 0; n < N; ++n)
            for (size_t k = 0; k < K; ++k) {
              const size_t bi = k / g;
              float scale;
              if (fp16) {
                uint16_t h;
                std::memcpy(&h, q.scales.data() + (n * blocks + bi) * 2, 2);
                scale = fp16_to_fp32(h);
              } else {
                std::memcpy(&scale, q.scales.data() + (n * blocks + bi) * 4, 4);
              }
              // Round to nearest: half a step, one step where symmetric clamps +8 to 7, plus
              // the float16 rounding of the scale (relative 2^-11, or for subnormal halves, below
              // 2^-14, half their spacing: 2^-25 absolute), and the grid's far end lies up to 15
              // steps from zero (asymmetric), so up to 16 such roundings more. (Seed 1443495853
              // met a subnormal scale in a one-value block.)
              const float half_error = fp16 ? std::max(std::fabs(scale) / 2048.f, std::ldexp(1.f, -25)) : 0.f;
              const float bound = std::fabs(scale) * (symmetric ? 1.f : 0.5f) + 16.f * half_error + 1e-7f;
              ASSERT_LE(std::fabs(q.back[n * K + k] - w[n * K + k]), bound)
                  << "g=" << g << " K=" << K << " sym=" << symmetric << " fp16=" << fp16 << " n=" << n << " k=" << k;
              if (n == 2) {
                ASSERT_EQ(q.back[n * K + k], 0.f);
              }
            }
        }
}

TEST(Int4, MseNeverWorseThanRoundToNearest) {
  std::mt19937_64 rng(seed() + 41);
  std::normal_distribution<float> gauss(0.f, 1.f);
  std::student_t_distribution<float> heavy(3.f);
  const size_t N = 16, K = 512;
  std::vector<float> w(N * K);
  for (size_t i = 0; i < w.size(); ++i) w[i] = (i % 97 == 0) ? 10.f * heavy(rng) : gauss(rng);
  for (bool symmetric : {true, false}) {
    const Quantized rtn = run(w, N, K, 32, symmetric, false, false);
    const Quantized mse = run(w, N, K, 32, symmetric, false, true);
    double e_rtn = 0, e_mse = 0;
    for (size_t b = 0; b < N * K / 32; ++b) {
      double br = 0, bm = 0;
      for (size_t i = b * 32; i < (b + 1) * 32; ++i) {
        // The error exactly as the MSE search measures it: float differences, squared in double
        // (squaring in float could reorder two candidates whose errors differ in the last bits).
        const float dr = w[i] - rtn.back[i], dm = w[i] - mse.back[i];
        br += static_cast<double>(dr) * dr;
        bm += static_cast<double>(dm) * dm;
      }
      ASSERT_LE(bm, br * (1 + 1e-9)) << "block " << b;  // RTN's choice is among the candidates
      e_rtn += br;
      e_mse += bm;
    }
    EXPECT_LT(e_mse, 0.99 * e_rtn) << "symmetric=" << symmetric;  // measured 2-5 % lower here
  }
}

TEST(Int4, RefusesBadLayoutsAndNonFiniteWeights) {
  std::vector<float> w(64, 1.f);
  std::vector<uint8_t> data(32), scales(8);
  Qb4Layout l;
  l.N = 1;
  l.K = 64;
  l.group = 48;
  Qb4Buffers b;
  b.data = data.data();
  b.scales = scales.data();
  EXPECT_EQ(quantize_qb4(w.data(), l, false, b), Status::invalid_argument);
  l.group = 32;
  w[7] = NAN;
  EXPECT_EQ(quantize_qb4(w.data(), l, false, b), Status::invalid_argument);
}

// Round-to-nearest quantizing runs a kernel where the tier has one: bit for bit the
// reference's bytes, scales and zero points on odd shapes, padded blocks and edge values
// (ties of ±max, all-equal and all-zero blocks, -0, subnormals, values whose float16 scale
// overflows, scales so small that 1/scale overflows), and every tier refuses non-finite weights.
TEST(Int4, QuantizeKernelsMatchTheReference) {
  std::mt19937_64 rng(seed() + 11);
  std::normal_distribution<float> gauss(0.f, 1.f);
  const auto fill = [&](std::vector<float>& w, int kind) {
    for (size_t i = 0; i < w.size(); ++i) {
      switch (kind) {
        case 0: w[i] = gauss(rng) * 0.02f; break;
        case 1: w[i] = (i % 7 == 3) ? 0.5f : (i % 7 == 5) ? -0.5f : gauss(rng) * 0.1f; break;  // ±max ties
        case 2: w[i] = 0.25f; break;                                                          // all equal
        case 3: w[i] = (i % 3 == 0) ? -0.f : 0.f; break;                                      // zeros
        case 4: w[i] = gauss(rng) * 1e-39f; break;                                            // subnormal
        case 5: w[i] = gauss(rng) * 3e5f; break;                                              // fp16 scale overflow
        case 6: w[i] = (i % 5 == 0) ? 1e-44f : 0.f; break;                                    // 1/scale overflows
        default: w[i] = (i % 2) ? -gauss(rng) * 2.f : 3.f; break;
      }
    }
  };
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    for (size_t K : {size_t{1}, size_t{7}, size_t{16}, size_t{17}, size_t{31}, size_t{33}, size_t{100}, size_t{4097}})
      for (size_t g : {size_t{16}, size_t{32}, size_t{64}, size_t{128}, size_t{256}})
        for (int kind = 0; kind < 8; ++kind)
          for (int variant = 0; variant < 4; ++variant) {
            const bool symmetric = variant & 1, fp16 = variant & 2;
            const size_t N = 3;
            std::vector<float> w(N * K);
            fill(w, kind);
            Qb4Layout l;
            l.N = N;
            l.K = K;
            l.group = g;
            l.symmetric = symmetric;
            l.fp16_scales = fp16;
            std::vector<uint8_t> data(l.data_bytes(), 0xAA), scales(l.scale_bytes(), 0xAA), zps(l.zp_bytes(), 0xAA);
            std::vector<uint8_t> rdata(l.data_bytes()), rscales(l.scale_bytes()), rzps(l.zp_bytes());
            Qb4Buffers b;
            b.data = data.data();
            b.scales = scales.data();
            b.zero_points = symmetric ? nullptr : zps.data();
            ASSERT_EQ(quantize_qb4(w.data(), l, false, b), Status::ok);
            const size_t rb = l.blocks() * (g / 2), sb = l.blocks() * (fp16 ? 2 : 4), zb = (l.blocks() + 1) / 2;
            for (size_t n = 0; n < N; ++n) {
              Qb4Row r;
              r.data = rdata.data() + n * rb;
              r.scales = rscales.data() + n * sb;
              r.zps = symmetric ? nullptr : rzps.data() + n * zb;
              lb_quantize_qb4_row_ref(w.data() + n * K, K, g, fp16, false, r);
            }
            const std::string where = std::string("isa=") + isa_name(isa) + " K=" + std::to_string(K) + " g=" +
                                      std::to_string(g) + " kind=" + std::to_string(kind) + " sym=" +
                                      std::to_string(symmetric) + " fp16=" + std::to_string(fp16);
            ASSERT_EQ(data, rdata) << where;
            ASSERT_EQ(scales, rscales) << where;
            if (!symmetric) {
              ASSERT_EQ(zps, rzps) << where;
            }
          }
    for (float bad : {NAN, INFINITY, -INFINITY}) {
      std::vector<float> w(2 * 100, 0.5f);
      w[100 + 99] = bad;  // the last value of the second row, inside a padded block
      Qb4Layout l;
      l.N = 2;
      l.K = 100;
      l.group = 32;
      std::vector<uint8_t> data(l.data_bytes()), scales(l.scale_bytes());
      Qb4Buffers b;
      b.data = data.data();
      b.scales = scales.data();
      EXPECT_EQ(quantize_qb4(w.data(), l, false, b), Status::invalid_argument) << isa_name(isa) << " " << bad;
    }
  }
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

TEST(Int4Linear, EveryIsaMatchesTheReferenceBitForBit) {
  std::mt19937_64 rng(seed() + 42);
  std::normal_distribution<float> gauss(0.f, 1.f);
  struct Shape { size_t M, N, K, g; };
  const Shape shapes[] = {{1, 1, 16, 16},   {1, 17, 64, 32},  {3, 16, 96, 32},   {7, 33, 100, 32},
                          {8, 16, 256, 64}, {9, 40, 300, 128}, {2, 70, 512, 256}, {17, 31, 64, 16},
                          {1, 64, 4097, 32},
                          // 16+ rows: full tiles on the AMX kernel (every group size), the rest on VNNI
                          {16, 16, 32, 32}, {33, 47, 256, 64}, {40, 20, 512, 128}, {35, 17, 1024, 256},
                          {48, 33, 4097, 32}, {32, 48, 80, 16}};
  for (const Shape& s : shapes)
    for (bool symmetric : {true, false})
      for (bool fp16 : {false, true}) {
        std::vector<float> w(s.N * s.K), x(s.M * s.K), bias(s.N);
        for (auto& v : w) v = 0.05f * gauss(rng);
        for (auto& v : x) v = gauss(rng);
        for (auto& v : bias) v = gauss(rng);
        if (s.M > 2) x[1 * s.K + s.K / 3] = NAN;  // a NaN row
        Qb4Layout l;
        l.N = s.N;
        l.K = s.K;
        l.group = s.g;
        l.symmetric = symmetric;
        l.fp16_scales = fp16;
        std::vector<uint8_t> data(l.data_bytes()), scales(l.scale_bytes()), zps(l.zp_bytes() + 1);
        Qb4Buffers b;
        b.data = data.data();
        b.scales = scales.data();
        b.zero_points = symmetric ? nullptr : zps.data();
        ASSERT_EQ(quantize_qb4(w.data(), l, false, b), Status::ok);
        std::vector<float> want(s.M * s.N);
        lb_linear_qb4_ref(x.data(), s.M, s.K, s.N, s.g, data.data(), scales.data(), fp16,
                          symmetric ? nullptr : zps.data(), bias.data(), want.data());
        for (Isa isa : available_isas()) {
          IsaScope scope(isa);
          std::vector<uint8_t> packed(qb4_packed_size(l));
          ASSERT_EQ(qb4_pack(b, l, packed.data(), packed.size()), Status::ok);
          std::vector<float> y(s.M * s.N + 1, 777.f);
          ASSERT_EQ(linear_qb4(x.data(), s.M, packed.data(), packed.size(), bias.data(), y.data()), Status::ok);
          ASSERT_EQ(y.back(), 777.f) << "wrote past the output";
          for (size_t i = 0; i < want.size(); ++i) {
            if (std::isnan(want[i])) {
              ASSERT_TRUE(std::isnan(y[i])) << isa_name(isa) << " at " << i;
              continue;
            }
            ASSERT_EQ(std::memcmp(&y[i], &want[i], 4), 0)
                << isa_name(isa) << " M=" << s.M << " N=" << s.N << " K=" << s.K << " g=" << s.g
                << " sym=" << symmetric << " fp16=" << fp16 << " at " << i << ": " << y[i] << " vs " << want[i];
          }
        }
      }
}

TEST(Int4Linear, ActivationBlocksMatchTheReference) {
  std::mt19937_64 rng(seed() + 43);
  std::normal_distribution<float> gauss(0.f, 3.f);
  for (size_t K : {1, 15, 16, 33, 100, 4097})
    for (size_t g : {16, 32, 256}) {
      const size_t M = 4, blocks = (K + g - 1) / g;
      std::vector<float> x(M * K);
      for (auto& v : x) v = gauss(rng);
      x[2 * K] = INFINITY;
      std::vector<int8_t> q(M * blocks * g), wq(M * blocks * g);
      std::vector<float> s(M * blocks), ws(M * blocks);
      std::vector<int32_t> t(M * blocks), wt(M * blocks);
      lb_quantize_rows_q8_blocks_ref(x.data(), M, K, g, wq.data(), ws.data(), wt.data());
      for (Isa isa : available_isas()) {
        kernel_table(isa)->quantize_q8_blocks(x.data(), M, K, g, q.data(), s.data(), t.data());
        EXPECT_EQ(q, wq) << isa_name(isa) << " K=" << K << " g=" << g;
        EXPECT_EQ(t, wt) << isa_name(isa);
        for (size_t i = 0; i < s.size(); ++i)
          EXPECT_TRUE(std::memcmp(&s[i], &ws[i], 4) == 0 || (std::isnan(s[i]) && std::isnan(ws[i]))) << i;
      }
    }
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

TEST(Int4Linear, Q4_0WeightsEqualTheirInt4Form) {
  std::mt19937_64 rng(seed() + 44);
  std::normal_distribution<float> gauss(0.f, 1.f);
  const size_t M = 5, N = 37, K = 160, blocks = K / 32;
  std::vector<float> w(N * K), x(M * K);
  for (auto& v : w) v = 0.1f * gauss(rng);
  for (auto& v : x) v = gauss(rng);
  std::vector<block_q4_0> q(N * blocks);
  lb_quantize_row_q4_0_ref(w.data(), q.data(), N * K);
  // The same weights in MatMulNBits form: element 2j low nibble, fp16 scales.
  std::vector<uint8_t> data(N * blocks * 16);
  std::vector<uint16_t> scales(N * blocks);
  for (size_t nb = 0; nb < N * blocks; ++nb) {
    scales[nb] = q[nb].d;
    for (size_t i = 0; i < 32; ++i) {
      const uint8_t nib = i < 16 ? q[nb].qs[i] & 0x0F : q[nb].qs[i - 16] >> 4;
      data[nb * 16 + i / 2] |= static_cast<uint8_t>(nib << (4 * (i % 2)));
    }
  }
  std::vector<float> want(M * N);
  lb_linear_qb4_ref(x.data(), M, K, N, 32, data.data(), scales.data(), true, nullptr, nullptr, want.data());
  Qb4Layout l;
  l.N = N;
  l.K = K;
  l.group = 32;
  l.fp16_scales = true;
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    std::vector<uint8_t> packed(ggml_linear_packed_size(GgmlType::q4_0, N, K));
    ASSERT_EQ(packed.size(), qb4_packed_size(l));
    ASSERT_EQ(ggml_linear_pack(GgmlType::q4_0, q.data(), N, K, packed.data(), packed.size()), Status::ok);
    std::vector<float> y(M * N);
    ASSERT_EQ(linear_qb4(x.data(), M, packed.data(), packed.size(), nullptr, y.data()), Status::ok);
    ASSERT_EQ(std::memcmp(y.data(), want.data(), y.size() * 4), 0) << isa_name(isa);
  }
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

TEST(Int4, DequantizeKernelsMatchTheReference) {
  std::mt19937_64 rng(seed() + 45);
  for (size_t g : {16, 32, 64, 128, 256})
    for (size_t K : {g, g + 16, 3 * g - 7, size_t{1001}})
      for (bool fp16 : {false, true})
        for (bool symmetric : {true, false}) {
          const size_t blocks = (K + g - 1) / g;
          std::vector<uint8_t> data(blocks * g / 2), zps((blocks + 1) / 2);
          for (auto& v : data) v = static_cast<uint8_t>(rng());
          for (auto& v : zps) v = static_cast<uint8_t>(rng());
          std::vector<float> sf(blocks);
          std::vector<uint16_t> sh(blocks);
          for (size_t b = 0; b < blocks; ++b) {
            sf[b] = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 777.f;
            sh[b] = fp32_to_fp16(sf[b]);
          }
          const void* scales = fp16 ? static_cast<const void*>(sh.data()) : sf.data();
          std::vector<float> want(K + 1, -5.f), got(K + 1, -5.f);
          lb_dequantize_qb4_row_ref(data.data(), scales, symmetric ? nullptr : zps.data(), K, g, fp16, want.data());
          for (Isa isa : available_isas()) {
            kernel_table(isa)->dequantize_qb4_row(data.data(), scales, symmetric ? nullptr : zps.data(), K, g, fp16, got.data());
            ASSERT_EQ(std::memcmp(got.data(), want.data(), (K + 1) * 4), 0) << isa_name(isa) << " g=" << g << " K=" << K;
          }
        }
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

template <typename Block>
void check_ggml_linear(GgmlType type, void (*quant)(const float*, Block*, size_t),
                       void (*ref)(const float*, size_t, size_t, size_t, const Block*, const float*, float*)) {
  std::mt19937_64 rng(seed() + 46 + static_cast<int>(type));
  std::normal_distribution<float> gauss(0.f, 1.f);
  for (auto [M, N, K] : {std::tuple<size_t, size_t, size_t>{1, 17, 32}, {3, 16, 96}, {9, 40, 320}, {2, 33, 4096}}) {
    std::vector<float> w(N * K), x(M * K), bias(N);
    for (auto& v : w) v = 0.1f * gauss(rng);
    for (auto& v : x) v = gauss(rng);
    for (auto& v : bias) v = gauss(rng);
    if (M > 2) x[K + 5] = INFINITY;
    std::vector<Block> q(N * K / 32);
    quant(w.data(), q.data(), N * K);
    std::vector<float> want(M * N);
    ref(x.data(), M, K, N, q.data(), bias.data(), want.data());
    for (Isa isa : available_isas()) {
      IsaScope scope(isa);
      std::vector<uint8_t> packed(ggml_linear_packed_size(type, N, K));
      ASSERT_EQ(ggml_linear_pack(type, q.data(), N, K, packed.data(), packed.size()), Status::ok);
      std::vector<float> y(M * N);
      ASSERT_EQ(linear_qb4(x.data(), M, packed.data(), packed.size(), bias.data(), y.data()), Status::ok);
      for (size_t i = 0; i < y.size(); ++i) {
        if (std::isnan(want[i])) { ASSERT_TRUE(std::isnan(y[i])); continue; }
        ASSERT_EQ(std::memcmp(&y[i], &want[i], 4), 0) << isa_name(isa) << " M=" << M << " N=" << N << " K=" << K << " at " << i;
      }
    }
  }
}

TEST(GgmlLinear, Q4_1EveryIsaMatchesTheReference) {
  check_ggml_linear<block_q4_1>(GgmlType::q4_1, lb_quantize_row_q4_1_ref, lb_linear_q4_1_ref);
}
TEST(GgmlLinear, Q8_0EveryIsaMatchesTheReference) {
  check_ggml_linear<block_q8_0>(GgmlType::q8_0, lb_quantize_row_q8_0_ref, lb_linear_q8_0_ref);
}

// q8_0 blocks from other quantizers (or hostile files) may hold -128, which ggml's own never
// writes; with activations at ±127 that is the largest pair sum a 16-bit step could see.
TEST(GgmlLinear, Q8_0ExtremeWeightsEveryIsa) {
  const size_t M = 4, N = 16, K = 64;
  std::vector<block_q8_0> q(N * K / 32);
  for (size_t i = 0; i < q.size(); ++i) {
    q[i].d = fp32_to_fp16(0.5f);
    for (size_t j = 0; j < 32; ++j) q[i].qs[j] = static_cast<int8_t>((i + j) % 3 == 0 ? -128 : (j % 2 ? 127 : -127));
  }
  std::vector<float> x(M * K), bias(N, 0.25f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 2) ? -1.f : 1.f;  // every activation block is ±127
  std::vector<float> want(M * N);
  lb_linear_q8_0_ref(x.data(), M, K, N, q.data(), bias.data(), want.data());
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    std::vector<uint8_t> packed(ggml_linear_packed_size(GgmlType::q8_0, N, K));
    ASSERT_EQ(ggml_linear_pack(GgmlType::q8_0, q.data(), N, K, packed.data(), packed.size()), Status::ok);
    std::vector<float> y(M * N);
    ASSERT_EQ(linear_qb4(x.data(), M, packed.data(), packed.size(), bias.data(), y.data()), Status::ok);
    ASSERT_EQ(std::memcmp(y.data(), want.data(), y.size() * 4), 0) << isa_name(isa);
  }
}

}  // namespace
}  // namespace lowbit::test
