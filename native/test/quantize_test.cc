// The quantizers against their references, bit for bit: rounding ties, saturation, NaN/Inf,
// zero rows, per-channel layouts.
#include <cmath>
#include <cstring>
#include <limits>

#include "dispatch/dispatch.h"
#include "kernels/ukernels.h"
#include "ref/ref.h"
#include "test-util.h"

namespace lowbit::test {
namespace {

std::vector<float> edge_values(std::mt19937_64& rng, size_t n) {
  const float specials[] = {0.f, -0.f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 127.5f, 128.5f,
                            -128.5f, -129.5f, 1e30f, -1e30f, 1e-30f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::denorm_min(), 3.4e38f, -3.4e38f};
  std::normal_distribution<float> g(0.f, 100.f);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = (i % 3 == 0) ? specials[(i / 3) % (sizeof specials / sizeof *specials)] : g(rng);
  return v;
}

TEST(QuantizeLinear, MatchesReferenceBitForBitEveryIsa) {
  std::mt19937_64 rng(seed() + 20);
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    for (size_t inner : {size_t{1}, size_t{7}, size_t{37}, size_t{1000}}) {
      const size_t outer = 3, ch = 5;
      const std::vector<float> x = edge_values(rng, outer * ch * inner);
      const float scales[ch] = {1.f, 0.5f, 3.f, 1e-3f, 7.25f};
      const int32_t zps_s8[ch] = {0, -128, 127, 5, -3};
      const int32_t zps_u8[ch] = {0, 255, 128, 7, 3};
      QuantizeLinearArgs a;
      a.outer = outer;
      a.channels = ch;
      a.inner = inner;
      a.scales = scales;
      a.zero_points = zps_s8;
      std::vector<int8_t> ys(x.size()), ws(x.size());
      ASSERT_EQ(quantize_linear_s8(x.data(), ys.data(), a), Status::ok);
      lb_quantize_linear_ref(x.data(), ws.data(), outer, ch, inner, scales, zps_s8);
      EXPECT_EQ(ys, ws) << isa_name(isa) << " inner=" << inner;
      a.zero_points = zps_u8;
      std::vector<uint8_t> yu(x.size()), wu(x.size());
      ASSERT_EQ(quantize_linear_u8(x.data(), yu.data(), a), Status::ok);
      lb_quantize_linear_ref(x.data(), wu.data(), outer, ch, inner, scales, zps_u8);
      EXPECT_EQ(yu, wu) << isa_name(isa) << " inner=" << inner;
    }
  }
  const float scales[1] = {1.f};
  // Ties go to even: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2 (scale 1, zp 0: channel 0).
  const float ties[] = {0.5f, 1.5f, 2.5f, -2.5f, 300.f, -300.f};
  int8_t t[6];
  QuantizeLinearArgs one;
  one.inner = 6;
  one.scales = scales;
  ASSERT_EQ(quantize_linear_s8(ties, t, one), Status::ok);
  const int8_t expect[] = {0, 2, 2, -2, 127, -128};
  EXPECT_EQ(std::memcmp(t, expect, 6), 0);
}

TEST(DequantizeLinear, MatchesReference) {
  const size_t n = 256;
  std::vector<int8_t> xs(n);
  std::vector<uint8_t> xu(n);
  for (size_t i = 0; i < n; ++i) { xs[i] = static_cast<int8_t>(i); xu[i] = static_cast<uint8_t>(i); }
  const float scale = 0.037f;
  const int32_t zp = 11;
  QuantizeLinearArgs a;
  a.inner = n;
  a.scales = &scale;
  a.zero_points = &zp;
  std::vector<float> y(n), w(n);
  ASSERT_EQ(dequantize_linear_s8(xs.data(), y.data(), a), Status::ok);
  lb_dequantize_linear_ref(xs.data(), w.data(), 1, 1, n, &scale, &zp);
  EXPECT_EQ(std::memcmp(y.data(), w.data(), n * 4), 0);
  ASSERT_EQ(dequantize_linear_u8(xu.data(), y.data(), a), Status::ok);
  lb_dequantize_linear_ref(xu.data(), w.data(), 1, 1, n, &scale, &zp);
  EXPECT_EQ(std::memcmp(y.data(), w.data(), n * 4), 0);
}

TEST(QuantizeRows, MatchesReferenceBitForBitEveryIsa) {
  std::mt19937_64 rng(seed() + 21);
  for (Isa isa : available_isas())
  for (size_t K : {1, 2, 7, 8, 15, 16, 17, 31, 33, 4097}) {
    IsaScope scope(isa);
    const size_t M = 9;
    std::vector<float> x(M * K);
    std::normal_distribution<float> g(0.f, 3.f);
    for (auto& v : x) v = g(rng);
    for (size_t k = 0; k < K; ++k) x[1 * K + k] = 0.f;         // all zero
    for (size_t k = 0; k < K; ++k) x[2 * K + k] = 4.25f;       // all equal, positive
    for (size_t k = 0; k < K; ++k) x[3 * K + k] = -1.f;        // all equal, negative
    x[4 * K + K / 2] = std::numeric_limits<float>::quiet_NaN();
    x[5 * K] = std::numeric_limits<float>::infinity();
    x[6 * K + K - 1] = 3.0e38f;                                 // huge but finite
    x[7 * K] = -3.0e38f;
    std::vector<uint8_t> q(M * K), wq(M * K);
    std::vector<float> s(M), ws(M);
    std::vector<int32_t> z(M), wz(M);
    ASSERT_EQ(quantize_rows_u8(x.data(), M, K, K, q.data(), K, s.data(), z.data()), Status::ok);
    lb_quantize_rows_u8_ref(x.data(), M, K, K, wq.data(), K, ws.data(), wz.data());
    EXPECT_EQ(q, wq) << isa_name(isa) << " K=" << K;
    EXPECT_EQ(z, wz) << "K=" << K;
    for (size_t m = 0; m < M; ++m) {
      if (std::isnan(ws[m])) EXPECT_TRUE(std::isnan(s[m]));
      else EXPECT_EQ(s[m], ws[m]);
      EXPECT_TRUE(m == 4 || m == 5 ? std::isnan(s[m]) : std::isfinite(s[m]) && s[m] > 0) << m;
    }
    // Zero is exactly representable: a zero input quantizes to the zero point.
    EXPECT_EQ(q[1 * K], static_cast<uint8_t>(z[1]));
  }
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

TEST(SumU8, EveryKernelMatchesTheScalarSum) {
  std::mt19937_64 rng(seed() + 22);
  std::vector<uint8_t> x(10000 + 3);  // room for the largest n at the largest offset
  for (auto& v : x) v = static_cast<uint8_t>(rng());
  std::vector<const KernelTable*> tables;
  for (Isa isa : available_isas()) tables.push_back(kernel_table(isa));
  for (size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 100, 4097, 9999})
    for (size_t off : {0, 1, 3})
      for (uint8_t flip : {0x00, 0x80}) {
        const uint32_t want = lb_u8_sum__scalar(x.data() + off, n, flip);
        for (const KernelTable* t : tables) ASSERT_EQ(t->sum_u8(x.data() + off, n, flip), want) << n << " " << off;
      }
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

TEST(QuantizeWeightsInt8, ScalesAndValuesFollowTheDefinition) {
  std::mt19937_64 rng(seed() + 23);
  std::normal_distribution<float> g(0.f, 0.3f);
  for (size_t K : {1, 3, 4, 5, 33, 1000}) {
    const size_t N = 6;
    std::vector<float> w(N * K);
    for (auto& v : w) v = g(rng);
    for (size_t k = 0; k < K; ++k) w[1 * K + k] = 0.f;          // all zero: scale 1
    for (size_t k = 0; k < K; ++k) w[2 * K + k] = 0.5f + k;     // all positive
    for (bool symmetric : {true, false}) {
      std::vector<uint8_t> q(N * K);
      std::vector<float> scales(N);
      std::vector<uint8_t> zps(N);
      ASSERT_EQ(quantize_weights_int8(w.data(), N, K, symmetric, q.data(), scales.data(), zps.data()), Status::ok);
      for (size_t n = 0; n < N; ++n) {
        float lo = 0.f, hi = 0.f;
        for (size_t k = 0; k < K; ++k) { lo = std::fmin(lo, w[n * K + k]); hi = std::fmax(hi, w[n * K + k]); }
        float s;
        int32_t zp = 0;
        if (symmetric) {
          const float amax = std::fmax(-lo, hi);
          s = amax == 0.f ? 1.f : amax / 127.f;
        } else {
          s = hi / 255.f - lo / 255.f;
          if (s == 0.f) s = 1.f;
          zp = static_cast<int32_t>(std::fmin(255.f, std::fmax(0.f, std::nearbyint(-lo / s))));
          EXPECT_EQ(zps[n], zp);
        }
        EXPECT_EQ(scales[n], s) << "n=" << n << " K=" << K;
        if (symmetric) {
          std::vector<int8_t> want(K);
          lb_quantize_linear_ref(w.data() + n * K, want.data(), 1, 1, K, &s, &zp);
          EXPECT_EQ(std::memcmp(q.data() + n * K, want.data(), K), 0) << "n=" << n;
        } else {
          std::vector<uint8_t> want(K);
          lb_quantize_linear_ref(w.data() + n * K, want.data(), 1, 1, K, &s, &zp);
          EXPECT_EQ(std::memcmp(q.data() + n * K, want.data(), K), 0) << "n=" << n;
        }
      }
    }
    w[5 * K + K - 1] = NAN;
    std::vector<uint8_t> q(N * K), zps(N);
    std::vector<float> scales(N);
    EXPECT_EQ(quantize_weights_int8(w.data(), N, K, false, q.data(), scales.data(), zps.data()), Status::invalid_argument);
  }
}

}  // namespace
}  // namespace lowbit::test
