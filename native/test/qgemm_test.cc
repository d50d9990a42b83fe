// Every int8 GEMM kernel against lb_qgemm_ref: the shape catalogue, extreme values, zero
// points, int8 and uint8 A, [K,N] and [N,K] B, int32 and float outputs, on every ISA here.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ref/ref.h"
#include "test-util.h"

namespace lowbit::test {
namespace {

enum class Fill { random, extreme_max, extreme_min, alternating };

struct Case {
  size_t M, N, K;
  bool a_signed;
  int32_t za, zb;
  bool b_transposed;  // B given as a row-major [N,K] weight
  Fill fill;
};

// Arguments for an int32 output: A [M, K] with rows lda apart, C with rows ldc apart.
QgemmArgs int32_args(const Case& c, const uint8_t* a, size_t lda, const std::vector<uint8_t>& packed, int32_t* out,
                     size_t ldc) {
  QgemmArgs args;
  args.M = c.M;
  args.a = a;
  args.lda = lda;
  args.a_signed = c.a_signed;
  args.a_zero_point = c.za;
  args.b_zero_point = c.zb;
  args.packed_b = packed.data();
  args.packed_b_size = packed.size();
  args.c = out;
  args.ldc = ldc;
  return args;
}

std::vector<int32_t> run_qgemm(const Case& c, const std::vector<uint8_t>& a,
                               const std::vector<int8_t>& b, Status* status) {
  const ptrdiff_t sk = c.b_transposed ? 1 : static_cast<ptrdiff_t>(c.N);
  const ptrdiff_t sn = c.b_transposed ? static_cast<ptrdiff_t>(c.K) : 1;
  std::vector<uint8_t> packed(qgemm_packed_b_size(c.K, c.N));
  EXPECT_EQ(qgemm_pack_b(b.data(), c.K, c.N, sk, sn, packed.data(), packed.size()), Status::ok);
  std::vector<int32_t> out(c.M * c.N + 1, 0x7eadbeef);  // +1: a canary past the end
  *status = qgemm(int32_args(c, a.data(), c.K, packed, out.data(), c.N));
  EXPECT_EQ(out.back(), 0x7eadbeef) << "wrote past the output";
  out.pop_back();
  return out;
}

void check_case(const Case& c, std::mt19937_64& rng) {
  std::vector<uint8_t> a(c.M * c.K);
  std::vector<int8_t> b(c.K * c.N);
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t i = 0; i < a.size(); ++i) {
    switch (c.fill) {
      case Fill::random: a[i] = static_cast<uint8_t>(byte(rng)); break;
      case Fill::extreme_max: a[i] = c.a_signed ? 0x7f : 0xff; break;
      case Fill::extreme_min: a[i] = c.a_signed ? 0x80 : 0xff; break;
      case Fill::alternating: a[i] = (i & 1) ? 0xff : 0x00; break;
    }
  }
  for (size_t i = 0; i < b.size(); ++i) {
    switch (c.fill) {
      case Fill::random: b[i] = static_cast<int8_t>(byte(rng) - 128); break;
      case Fill::extreme_max: b[i] = 127; break;
      case Fill::extreme_min: b[i] = -128; break;
      case Fill::alternating: b[i] = (i & 1) ? -128 : 127; break;
    }
  }
  const ptrdiff_t sk = c.b_transposed ? 1 : static_cast<ptrdiff_t>(c.N);
  const ptrdiff_t sn = c.b_transposed ? static_cast<ptrdiff_t>(c.K) : 1;
  std::vector<int32_t> want(c.M * c.N);
  lb_qgemm_ref(c.M, c.N, c.K, a.data(), c.K, c.a_signed, c.za, nullptr, b.data(), sk, sn, c.zb,
               want.data(), c.N);
  Status s;
  const std::vector<int32_t> got = run_qgemm(c, a, b, &s);
  ASSERT_EQ(s, Status::ok);
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(got[i], want[i]) << "isa=" << isa_name(cpu_info().isa) << " M=" << c.M << " N=" << c.N
                               << " K=" << c.K << " a_signed=" << c.a_signed << " za=" << c.za
                               << " zb=" << c.zb << " at m=" << i / c.N << " n=" << i % c.N;
}

const size_t kShapes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 33, 63, 64, 65};

TEST(Qgemm, ShapeCatalogueEveryIsa) {
  std::mt19937_64 rng(seed());
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    for (size_t M : kShapes)
      for (size_t N : {size_t{1}, size_t{7}, size_t{16}, size_t{17}, size_t{33}, size_t{65}})
        for (size_t K : {size_t{1}, size_t{3}, size_t{4}, size_t{9}, size_t{31}, size_t{64}, size_t{127}}) {
          const bool sgn = (M + N + K) & 1;
          check_case({M, N, K, sgn, sgn ? -3 : 17, (K & 2) ? 5 : 0, (N & 1) != 0, Fill::random}, rng);
        }
  }
}

TEST(Qgemm, LargeAndDeepEveryIsa) {
  std::mt19937_64 rng(seed() + 1);
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    check_case({127, 255, 257, false, 0, 0, false, Fill::random}, rng);
    check_case({64, 1000, 100, true, 4, -7, true, Fill::random}, rng);
    // Deep K with saturating values: 8192 * 255 * 128 stays exact only if nothing saturates.
    for (Fill f : {Fill::extreme_max, Fill::extreme_min, Fill::alternating}) {
      check_case({3, 40, 8192, false, 0, 0, false, f}, rng);
      check_case({9, 33, 8192, true, 0, 0, true, f}, rng);
      check_case({2, 17, 8192, false, 255, -128, false, f}, rng);
      check_case({2, 17, 8192, true, -128, 127, false, f}, rng);
    }
  }
}

// Full tiles of uint8 A with K a multiple of 64 are read in place by kernels that can (AMX),
// and tiles without zero-point terms are stored straight from the accumulators: cover both,
// their neighbours that cannot (partial tiles and panels, int8 A, zero points), and rows of A
// further apart than K (whose gap holds bytes that must not be read into the result).
TEST(Qgemm, InPlaceAAndPlainTilesEveryIsa) {
  std::mt19937_64 rng(seed() + 5);
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    for (const Case& c : {Case{96, 64, 128, false, 0, 0, false, Fill::random},
                          Case{70, 40, 192, false, 0, 0, false, Fill::random},
                          Case{64, 33, 64, false, 3, 0, false, Fill::random},
                          Case{64, 64, 64, false, 0, -2, true, Fill::random},
                          Case{64, 32, 128, true, 0, 0, false, Fill::random},
                          Case{32, 32, 8192, false, 0, 0, false, Fill::extreme_max}})
      check_case(c, rng);
    const size_t M = 67, N = 48, K = 128, lda = K + 64;
    std::vector<uint8_t> a(M * lda, 0xEE);
    std::vector<int8_t> b(K * N);
    std::uniform_int_distribution<int> byte(0, 255);
    for (size_t m = 0; m < M; ++m)
      for (size_t k = 0; k < K; ++k) a[m * lda + k] = static_cast<uint8_t>(byte(rng));
    for (auto& v : b) v = static_cast<int8_t>(byte(rng) - 128);
    std::vector<int32_t> want(M * N), got(M * N, 0x7eadbeef);
    lb_qgemm_ref(M, N, K, a.data(), lda, false, 0, nullptr, b.data(), N, 1, 0, want.data(), N);
    std::vector<uint8_t> packed(qgemm_packed_b_size(K, N));
    ASSERT_EQ(qgemm_pack_b(b.data(), K, N, N, 1, packed.data(), packed.size()), Status::ok);
    const Case shape{M, N, K, false, 0, 0, false, Fill::random};
    ASSERT_EQ(qgemm(int32_args(shape, a.data(), lda, packed, got.data(), N)), Status::ok);
    ASSERT_EQ(got, want) << "isa=" << isa_name(isa) << " lda=" << lda;
  }
}

// Where A and C sit matters to the AMX driver: A rows on cache lines are read in place, others
// are packed row-major; C rows on cache lines take tile stores, others line-by-line stores
// (one pattern when every row has the same offset, plain stores when ldc breaks it). K = 512
// puts 16 KB in a tile of A, so the tile-major order runs, and N = 2065 makes two groups of
// panels. Every ISA runs it; the words around each C row must survive.
TEST(Qgemm, OffsetsAndPanelGroupsEveryIsa) {
  std::mt19937_64 rng(seed() + 9);
  std::uniform_int_distribution<int> byte(0, 255);
  const size_t M = 70, N = 2065;
  struct Layout { size_t K, a_off, c_off, ldc; bool a_signed; int32_t za, zb; };
  const Layout layouts[] = {
      {512, 0, 0, 2080, false, 0, 0},  {512, 16, 0, 2080, false, 0, 0}, {512, 0, 4, 2080, false, 0, 0},
      {512, 16, 4, 2080, false, 0, 0}, {512, 0, 5, 2065, false, 0, 0},  {512, 8, 12, 2080, true, 0, 0},
      {512, 0, 4, 2080, false, 3, -2}, {500, 0, 0, 2080, false, 0, 0},  {500, 32, 7, 2081, true, -5, 4}};
  for (const Layout& l : layouts) {
    // A in a 64-byte aligned buffer, then offset; rows K apart.
    std::vector<uint8_t> a_store(M * l.K + 128);
    uint8_t* a = a_store.data() + (64 - reinterpret_cast<uintptr_t>(a_store.data()) % 64) % 64 + l.a_off;
    for (size_t i = 0; i < M * l.K; ++i) a[i] = static_cast<uint8_t>(byte(rng));
    std::vector<int8_t> b(l.K * N);
    for (auto& v : b) v = static_cast<int8_t>(byte(rng) - 128);
    std::vector<int32_t> want(M * N);
    lb_qgemm_ref(M, N, l.K, a, l.K, l.a_signed, l.za, nullptr, b.data(), N, 1, l.zb, want.data(), N);
    for (Isa isa : available_isas()) {
      IsaScope scope(isa);
      std::vector<uint8_t> packed(qgemm_packed_b_size(l.K, N));
      ASSERT_EQ(qgemm_pack_b(b.data(), l.K, N, N, 1, packed.data(), packed.size()), Status::ok);
      std::vector<int32_t> c_store(M * l.ldc + 64, 0x7eadbeef);
      int32_t* c = c_store.data() + (16 - reinterpret_cast<uintptr_t>(c_store.data()) % 64 / 4) % 16 + l.c_off;
      const Case shape{M, N, l.K, l.a_signed, l.za, l.zb, false, Fill::random};
      ASSERT_EQ(qgemm(int32_args(shape, a, l.K, packed, c, l.ldc)), Status::ok);
      const auto where = [&] {
        return "isa=" + std::string(isa_name(isa)) + " K=" + std::to_string(l.K) + " a_off=" +
               std::to_string(l.a_off) + " c_off=" + std::to_string(l.c_off) + " ldc=" + std::to_string(l.ldc);
      };
      for (size_t i = 0; i < c_store.size(); ++i) {
        const ptrdiff_t at = static_cast<ptrdiff_t>(i) - (c - c_store.data());
        const bool inside = at >= 0 && static_cast<size_t>(at) / l.ldc < M && static_cast<size_t>(at) % l.ldc < N;
        if (inside) {
          ASSERT_EQ(c_store[i], want[at / l.ldc * N + at % l.ldc]) << where() << " m=" << at / l.ldc << " n=" << at % l.ldc;
        } else {
          ASSERT_EQ(c_store[i], 0x7eadbeef) << where() << ": wrote outside the output at " << at;
        }
      }
    }
  }
}

// Large K on one thread: a tile of A (64 KB) does not fit L1, and the run's A (16 tiles, 1 MB)
// does not fit beside a panel in L2, so the AMX driver goes tile-major with each tile's A in L2
// and two groups of panels; int8 A with zero points makes it pack. Only AMX orders its loops
// this way.
TEST(Qgemm, TileMajorLargeKAmx) {
  if (!(cpu_info().available & (1u << static_cast<int>(Isa::amx)))) GTEST_SKIP() << "no AMX here";
  IsaScope scope(Isa::amx);
  const int saved_threads = threads();
  set_threads(1);
  std::mt19937_64 rng(seed() + 10);
  check_case({517, 521, 2048, true, 3, -5, false, Fill::random}, rng);
  check_case({545, 530, 2048, false, 0, 0, true, Fill::random}, rng);
  set_threads(saved_threads);
}

TEST(Qgemm, AvxTwoSaturationTrap) {
  // A = 255 with B = -128 everywhere: a vpmaddubsw pair sum would be -65280 and saturate.
  std::mt19937_64 rng(seed());
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    check_case({5, 35, 4097, false, 0, 0, false, Fill::extreme_min}, rng);
  }
}

TEST(Qgemm, RejectsStaleAndCorruptPacks) {
  const size_t K = 40, N = 24;
  std::vector<int8_t> b(K * N, 1);
  std::vector<uint8_t> a(K, 2);
  std::vector<int32_t> c(N);
  const auto isas = available_isas();
  IsaScope scope(isas.back());
  std::vector<uint8_t> packed(qgemm_packed_b_size(K, N));
  ASSERT_EQ(qgemm_pack_b(b.data(), K, N, N, 1, packed.data(), packed.size()), Status::ok);
  ASSERT_EQ(qgemm_pack_b(b.data(), K, N, N, 1, packed.data(), packed.size() - 1), Status::buffer_too_small);
  QgemmArgs args;
  args.M = 1;
  args.a = a.data();
  args.lda = K;
  args.packed_b = packed.data();
  args.packed_b_size = packed.size();
  args.c = c.data();
  args.ldc = N;
  ASSERT_EQ(qgemm(args), Status::ok);
  args.packed_b_size = packed.size() - 1;
  EXPECT_EQ(qgemm(args), Status::stale_pack);
  args.packed_b_size = packed.size();
  for (size_t byte = 0; byte < 64; ++byte) {  // any header byte flipped is caught
    std::vector<uint8_t> bad = packed;
    bad[byte] ^= 0x40;
    args.packed_b = bad.data();
    EXPECT_EQ(qgemm(args), Status::stale_pack) << "header byte " << byte;
  }
  if (isas.size() > 1) {
    args.packed_b = packed.data();
    ASSERT_EQ(set_isa(isas.front()), Status::ok);
    EXPECT_EQ(qgemm(args), Status::stale_pack);
  }
}

TEST(Qgemm, FloatEpilogueMatchesIntegerPathOnEveryIsa) {
  std::mt19937_64 rng(seed() + 2);
  const size_t M = 13, N = 45, K = 77;
  std::vector<float> x(M * K), bias(N), wscale(N);
  std::normal_distribution<float> g(0.f, 1.f);
  for (auto& v : x) v = g(rng);
  x[5] = 40.f;  // an outlier in row 0
  for (size_t n = 0; n < N; ++n) { bias[n] = g(rng); wscale[n] = 0.01f + 0.001f * n; }
  std::vector<int8_t> w(N * K);
  for (auto& v : w) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
  std::vector<uint8_t> q(M * K);
  std::vector<float> ascale(M);
  std::vector<int32_t> azp(M);
  ASSERT_EQ(quantize_rows_u8(x.data(), M, K, K, q.data(), K, ascale.data(), azp.data()), Status::ok);
  // Expected: exact integer GEMM, then the documented float epilogue order.
  std::vector<int32_t> acc(M * N);
  lb_qgemm_ref(M, N, K, q.data(), K, false, 0, azp.data(), w.data(), 1, K, 0, acc.data(), N);
  std::vector<float> want(M * N);
  for (size_t m = 0; m < M; ++m)
    for (size_t n = 0; n < N; ++n)
      want[m * N + n] = static_cast<float>(acc[m * N + n]) * ascale[m] * wscale[n] + bias[n];
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    std::vector<uint8_t> packed(qgemm_packed_b_size(K, N));
    ASSERT_EQ(qgemm_pack_b(w.data(), K, N, 1, K, packed.data(), packed.size()), Status::ok);
    std::vector<float> y(M * N);
    QgemmArgs args;
    args.M = M;
    args.a = q.data();
    args.lda = K;
    args.a_zero_points = azp.data();
    args.packed_b = packed.data();
    args.packed_b_size = packed.size();
    args.y = y.data();
    args.a_scales = ascale.data();
    args.b_scales = wscale.data();
    args.bias = bias.data();
    args.ldc = N;
    ASSERT_EQ(qgemm(args), Status::ok);
    for (size_t i = 0; i < y.size(); ++i)
      ASSERT_EQ(std::memcmp(&y[i], &want[i], 4), 0) << isa_name(isa) << " at " << i << ": " << y[i] << " vs " << want[i];
  }
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

TEST(Qgemm, SameResultForAnyThreadCount) {
  std::mt19937_64 rng(seed() + 3);
  const size_t M = 200, N = 300, K = 515;  // enough rows for the row-split path on every ISA
  std::vector<uint8_t> a(M * K);
  std::vector<int8_t> b(K * N);
  for (auto& v : a) v = static_cast<uint8_t>(rng());
  for (auto& v : b) v = static_cast<int8_t>(rng());
  std::vector<int32_t> want(M * N);
  lb_qgemm_ref(M, N, K, a.data(), K, false, 9, nullptr, b.data(), static_cast<ptrdiff_t>(N), 1, -4, want.data(), N);
  const int saved = threads();
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    std::vector<uint8_t> packed(qgemm_packed_b_size(K, N));
    ASSERT_EQ(qgemm_pack_b(b.data(), K, N, static_cast<ptrdiff_t>(N), 1, packed.data(), packed.size()), Status::ok);
    for (int t : {1, 2, 3, 5}) {
      set_threads(t);
      ASSERT_EQ(threads(), t);
      std::vector<int32_t> c(M * N);
      QgemmArgs args;
      args.M = M;
      args.a = a.data();
      args.lda = K;
      args.a_zero_point = 9;
      args.b_zero_point = -4;
      args.packed_b = packed.data();
      args.packed_b_size = packed.size();
      args.c = c.data();
      args.ldc = N;
      ASSERT_EQ(qgemm(args), Status::ok);
      ASSERT_EQ(c, want) << isa_name(isa) << " threads=" << t;
    }
  }
  set_threads(saved);
}

}  // namespace
}  // namespace lowbit::test
