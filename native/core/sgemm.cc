// FP32 GEMM driver: B packed once into panels of nr columns ([k][nr], K unpadded); A packed
// per chunk of rows into [k][mr] tiles; the k loop is blocked so one B panel slice stays in
// L1 while the tiles of the chunk stream past it.
#include <algorithm>
#include <cstring>
#include <memory>
#include <new>

#include "../dispatch/dispatch.h"
#include "packed.h"
#include "scratch.h"
#include "threadpool.h"

namespace lowbit {
namespace {

constexpr size_t kKc = 256;  // k block: 32 floats x 256 = 32 KiB of B per panel slice
constexpr size_t kChunkRows = 512;  // 512 rows x kKc floats of A = 512 KiB: stays in L2

size_t sgemm_layout(const SgemmUkernel& uk, size_t K, size_t N, PackedHeader* h) {
  const size_t panels = (N + uk.nr - 1) / uk.nr;
  if (h) {
    *h = PackedHeader{};
    h->magic = kMagicF32;
    h->nr = uk.nr;
    h->kr = 1;
    h->elem_bytes = 4;
    h->K = K;
    h->N = N;
    h->Kp = K;
    h->panels = panels;
  }
  return sizeof(PackedHeader) + kPackSlack + panels * uk.nr * K * sizeof(float);
}

bool dims_ok(size_t a, size_t b) { return a <= (size_t{1} << 31) && b <= (size_t{1} << 31); }

Status validate(const void* packed, size_t size, PackedHeader* out) {
  if (!packed || size < sizeof(PackedHeader)) return Status::stale_pack;
  PackedHeader h;
  std::memcpy(&h, packed, sizeof h);
  if (h.magic != kMagicF32 || h.check != header_check(h) || !dims_ok(h.K, h.N) || h.data_pad >= kPackSlack)
    return Status::stale_pack;
  *out = h;
  return Status::ok;
}

}  // namespace

size_t sgemm_packed_b_size(size_t K, size_t N) {
  if (!dims_ok(K, N)) return 0;
  return sgemm_layout(current_dispatch().table->sgemm, K, N, nullptr);
}

Status sgemm_pack_b(const float* b, size_t K, size_t N, ptrdiff_t stride_k, ptrdiff_t stride_n,
                    void* packed, size_t packed_size) {
  if (!dims_ok(K, N) || (!b && K != 0 && N != 0) || !packed) return Status::invalid_argument;
  const Dispatch d = current_dispatch();
  const SgemmUkernel& uk = d.table->sgemm;
  PackedHeader h;
  if (packed_size != sgemm_layout(uk, K, N, &h)) return Status::buffer_too_small;
  h.isa = static_cast<uint32_t>(d.isa);
  h.data_pad = data_pad_for(packed);
  h.check = header_check(h);
  auto* base = static_cast<uint8_t*>(packed);
  std::memcpy(base, &h, sizeof h);
  auto* data = reinterpret_cast<float*>(base + data_offset(h));
  const size_t nr = uk.nr;
  for (size_t p = 0; p < h.panels; ++p)
    for (size_t k = 0; k < K; ++k)
      for (size_t j = 0; j < nr; ++j) {
        const size_t n = p * nr + j;
        data[(p * K + k) * nr + j] =
            n < N ? b[static_cast<ptrdiff_t>(k) * stride_k + static_cast<ptrdiff_t>(n) * stride_n] : 0.f;
      }
  return Status::ok;
}

Status sgemm_packed_b_info(const void* packed, size_t packed_size, PackedBInfo* info) {
  PackedHeader h;
  if (Status s = validate(packed, packed_size, &h); s != Status::ok) return s;
  info->K = h.K;
  info->N = h.N;
  info->isa = static_cast<Isa>(h.isa);
  return Status::ok;
}

Status sgemm(const SgemmArgs& args) {
  const Dispatch d = current_dispatch();
  const SgemmUkernel& uk = d.table->sgemm;
  PackedHeader h;
  if (Status s = validate(args.packed_b, args.packed_b_size, &h); s != Status::ok) return s;
  if (h.isa != static_cast<uint32_t>(d.isa) || h.nr != uk.nr ||
      sgemm_layout(uk, h.K, h.N, nullptr) != args.packed_b_size)
    return Status::stale_pack;
  const size_t M = args.M, K = h.K, N = h.N;
  if (!dims_ok(M, 1)) return Status::invalid_argument;
  if (M == 0 || N == 0) return Status::ok;  // (an empty output may have no address)
  if ((K && !args.a) || !args.y) return Status::invalid_argument;
  if (M > 0 && K > 0 && args.lda < K) return Status::invalid_argument;
  if (M > 0 && N > 0 && args.ldy < N) return Status::invalid_argument;

  const auto* bdata = reinterpret_cast<const float*>(static_cast<const uint8_t*>(args.packed_b) + data_offset(h));
  const size_t mr = uk.mr, nr = uk.nr;
  const size_t Kc = std::max<size_t>(K, 1);
  const size_t tile_floats = mr * Kc;
  // All of A's rows (up to kChunkRows) are packed before B is swept, so each B panel slice is
  // loaded once per chunk and reused from L1 by every tile.
  const size_t tiles_per_chunk = std::max<size_t>(1, kChunkRows / mr);
  const size_t m_tiles = (M + mr - 1) / mr;
  auto* apack = static_cast<float*>(
      scratch(ScratchSlot::a_pack, std::min(m_tiles, tiles_per_chunk) * tile_floats * sizeof(float)));
  if (!apack) return Status::out_of_memory;
  const size_t threads_wanted = M * N * K < (size_t{1} << 17) ? 1 : SIZE_MAX;

  for (size_t t0 = 0; t0 < m_tiles; t0 += tiles_per_chunk) {
    const size_t nt = std::min(tiles_per_chunk, m_tiles - t0);
    parallel_for(nt, threads_wanted, [&](size_t t) {
      // k outer, rows inner: the writes stream, the mr row reads each stay sequential.
      float* dst = apack + t * tile_floats;
      const size_t m0 = (t0 + t) * mr;
      const size_t rows = std::min(mr, M - m0);
      const float* src = args.a + m0 * args.lda;
      for (size_t k = 0; k < K; ++k, dst += mr) {
        size_t r = 0;
        for (; r < rows; ++r) dst[r] = src[r * args.lda + k];
        for (; r < mr; ++r) dst[r] = 0.f;
      }
    });
    parallel_for(h.panels, threads_wanted, [&](size_t p) {
      const size_t n0 = p * nr;
      const size_t nr_used = std::min(nr, N - n0);
      const float* panel = bdata + p * K * nr;
      const float* bias = args.bias ? args.bias + n0 : nullptr;
      if (K == 0) {
        for (size_t t = 0; t < nt; ++t) {
          const size_t m0 = (t0 + t) * mr;
          for (size_t m = m0; m < std::min(M, m0 + mr); ++m)
            for (size_t n = 0; n < nr_used; ++n) args.y[m * args.ldy + n0 + n] = bias ? bias[n] : 0.f;
        }
        return;
      }
      for (size_t k0 = 0; k0 < K; k0 += kKc) {
        const size_t kc = std::min(kKc, K - k0);
        for (size_t t = 0; t < nt; ++t) {
          const size_t m0 = (t0 + t) * mr;
          uk.fn(std::min(mr, M - m0), nr_used, kc, apack + t * tile_floats + k0 * mr,
                panel + k0 * nr, args.y + m0 * args.ldy + n0, args.ldy, k0 > 0, bias);
        }
      }
    });
  }
  return Status::ok;
}

}  // namespace lowbit
