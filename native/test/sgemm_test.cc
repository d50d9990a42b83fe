// Every fp32 GEMM kernel against lb_f32_gemm_ref (double accumulation) on every ISA here.
// Tolerance: |got - want| <= 1e-5 * sum_k |a||b| + 1e-6 (fp32 accumulation error bound, loose).
#include <cmath>

#include "ref/ref.h"
#include "test-util.h"

namespace lowbit::test {
namespace {

void check(size_t M, size_t N, size_t K, bool transposed, bool with_bias, std::mt19937_64& rng) {
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> a(M * K), b(K * N), bias(N);
  for (auto& v : a) v = g(rng);
  for (auto& v : b) v = g(rng);
  for (auto& v : bias) v = g(rng);
  const ptrdiff_t sk = transposed ? 1 : static_cast<ptrdiff_t>(N);
  const ptrdiff_t sn = transposed ? static_cast<ptrdiff_t>(K) : 1;
  std::vector<float> want(M * N), bound(M * N);
  lb_f32_gemm_ref(M, N, K, a.data(), K, b.data(), sk, sn, with_bias ? bias.data() : nullptr, want.data(), N);
  for (size_t m = 0; m < M; ++m)
    for (size_t n = 0; n < N; ++n) {
      double s = 0;
      for (size_t k = 0; k < K; ++k) s += std::fabs(a[m * K + k] * b[k * sk + n * sn]);
      bound[m * N + n] = static_cast<float>(1e-5 * s + 1e-6);
    }
  std::vector<uint8_t> packed(sgemm_packed_b_size(K, N));
  ASSERT_EQ(sgemm_pack_b(b.data(), K, N, sk, sn, packed.data(), packed.size()), Status::ok);
  std::vector<float> y(M * N + 1, 12345.f);
  SgemmArgs args;
  args.M = M;
  args.a = a.data();
  args.lda = K;
  args.packed_b = packed.data();
  args.packed_b_size = packed.size();
  args.bias = with_bias ? bias.data() : nullptr;
  args.y = y.data();
  args.ldy = N;
  ASSERT_EQ(sgemm(args), Status::ok);
  ASSERT_EQ(y.back(), 12345.f) << "wrote past the output";
  for (size_t i = 0; i < M * N; ++i)
    ASSERT_LE(std::fabs(y[i] - want[i]), bound[i])
        << isa_name(cpu_info().isa) << " M=" << M << " N=" << N << " K=" << K << " at " << i;
}

TEST(Sgemm, ShapeCatalogueEveryIsa) {
  std::mt19937_64 rng(seed() + 10);
  for (Isa isa : available_isas()) {
    IsaScope scope(isa);
    for (size_t M : {1, 2, 5, 6, 7, 13, 14, 15, 29, 33})
      for (size_t N : {1, 7, 12, 16, 17, 33, 65})
        for (size_t K : {0, 1, 3, 16, 31, 255, 257, 600})
          check(M, N, K, (M + N) & 1, K & 1, rng);
    check(100, 130, 1000, true, true, rng);
  }
}

}  // namespace
}  // namespace lowbit::test
