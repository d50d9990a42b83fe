// INT8 GEMM driver: argument checks, B packing, A packing, zero-point algebra, tiling and
// threading around the chosen microkernel.
//
// Every kernel computes raw dot products of u8-ish A and s8 B. The ONNX zero points are
// folded in afterwards with
//   sum (Au - za')(B - zb) = acc - zb*rowsum(Au) - za'*colsum(B) + K*za'*zb
// where Au = A (uint8) or A + 128 (int8 A, so that vpdpbusd's u8 operand covers it) and
// za' is za shifted the same way. All of it in wrapping uint32 arithmetic: the same result,
// bit for bit, as int32 accumulation of the ONNX formula.
#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "../dispatch/dispatch.h"
#include "packed.h"
#include "threadpool.h"

namespace lowbit {
namespace {

size_t qgemm_layout(const QgemmUkernel& uk, size_t K, size_t N, PackedHeader* h) {
  const size_t Kp = round_up(K == 0 ? 1 : K, uk.kr);
  const size_t panels = (N + uk.nr - 1) / uk.nr;
  const size_t elem = uk.b_int16 ? 2 : 1;
  if (h) {
    *h = PackedHeader{};
    h->magic = kMagicQ8;
    h->nr = uk.nr;
    h->kr = uk.kr;
    h->elem_bytes = static_cast<uint32_t>(elem);
    h->K = K;
    h->N = N;
    h->Kp = Kp;
    h->panels = panels;
  }
  return sizeof(PackedHeader) + panels * uk.nr * sizeof(int32_t) + panels * uk.nr * Kp * elem;
}

// Too large to address, or to be a sane tensor: refuse before any size arithmetic can wrap.
bool dims_ok(size_t a, size_t b) { return a <= (size_t{1} << 31) && b <= (size_t{1} << 31); }

}  // namespace

size_t qgemm_packed_b_size(size_t K, size_t N) {
  if (!dims_ok(K, N)) return 0;
  return qgemm_layout(current_dispatch().table->qgemm, K, N, nullptr);
}

Status qgemm_pack_b(const int8_t* b, size_t K, size_t N, ptrdiff_t stride_k, ptrdiff_t stride_n,
                    void* packed, size_t packed_size) {
  if (!dims_ok(K, N) || (!b && K != 0 && N != 0) || !packed) return Status::invalid_argument;
  const Dispatch d = current_dispatch();
  const QgemmUkernel& uk = d.table->qgemm;
  PackedHeader h;
  if (packed_size != qgemm_layout(uk, K, N, &h)) return Status::buffer_too_small;
  h.isa = static_cast<uint32_t>(d.isa);
  h.check = header_check(h);
  auto* base = static_cast<uint8_t*>(packed);
  std::memcpy(base, &h, sizeof h);
  auto* col_sums = reinterpret_cast<int32_t*>(base + sizeof h);  // header keeps 4-alignment
  uint8_t* data = base + sizeof h + h.panels * uk.nr * sizeof(int32_t);
  const size_t nr = uk.nr, kr = uk.kr, Kp = h.Kp;
  for (size_t p = 0; p < h.panels; ++p) {
    for (size_t j = 0; j < nr; ++j) {
      const size_t n = p * nr + j;
      int32_t sum = 0;
      for (size_t k = 0; k < Kp; ++k) {
        const int8_t v = (n < N && k < K) ? b[static_cast<ptrdiff_t>(k) * stride_k +
                                              static_cast<ptrdiff_t>(n) * stride_n]
                                          : 0;
        sum += v;
        const size_t idx = p * nr * Kp + (k / kr) * nr * kr + j * kr + k % kr;
        if (uk.b_int16) {
          const int16_t w = v;
          std::memcpy(data + idx * 2, &w, 2);
        } else {
          data[idx] = static_cast<uint8_t>(v);
        }
      }
      col_sums[p * nr + j] = sum;
    }
  }
  return Status::ok;
}

static Status validate_q8(const void* packed, size_t size, PackedHeader* out) {
  if (!packed || size < sizeof(PackedHeader)) return Status::stale_pack;
  PackedHeader h;
  std::memcpy(&h, packed, sizeof h);
  if (h.magic != kMagicQ8 || h.check != header_check(h) || !dims_ok(h.K, h.N))
    return Status::stale_pack;
  *out = h;
  return Status::ok;
}

Status qgemm_packed_b_info(const void* packed, size_t packed_size, PackedBInfo* info) {
  PackedHeader h;
  if (Status s = validate_q8(packed, packed_size, &h); s != Status::ok) return s;
  info->K = h.K;
  info->N = h.N;
  info->isa = static_cast<Isa>(h.isa);
  return Status::ok;
}

Status qgemm(const QgemmArgs& args) {
  const Dispatch d = current_dispatch();
  const QgemmUkernel& uk = d.table->qgemm;
  PackedHeader h;
  if (Status s = validate_q8(args.packed_b, args.packed_b_size, &h); s != Status::ok) return s;
  PackedHeader expect;
  if (h.isa != static_cast<uint32_t>(d.isa) ||
      qgemm_layout(uk, h.K, h.N, &expect) != args.packed_b_size || expect.Kp != h.Kp ||
      expect.nr != h.nr || expect.kr != h.kr || expect.elem_bytes != h.elem_bytes)
    return Status::stale_pack;
  const size_t M = args.M, K = h.K, N = h.N;
  if (!dims_ok(M, 1) || (M && !args.a && K) || (args.c == nullptr) == (args.y == nullptr))
    return Status::invalid_argument;
  if (M > 0 && K > 0 && args.lda < K) return Status::invalid_argument;
  if (M > 0 && N > 0 && args.ldc < N) return Status::invalid_argument;
  if (args.y && (!args.a_scales || !args.b_scales)) return Status::invalid_argument;
  if (M == 0 || N == 0) return Status::ok;

  const auto* base = static_cast<const uint8_t*>(args.packed_b);
  const auto* col_sums = reinterpret_cast<const int32_t*>(base + sizeof h);
  const uint8_t* bdata = base + sizeof h + h.panels * uk.nr * sizeof(int32_t);
  const size_t mr = uk.mr, nr = uk.nr, kr = uk.kr, Kp = h.Kp;
  const size_t elem_a = uk.a_format == QgemmAFormat::s16 ? 2 : 1;
  const size_t panel_bytes = nr * Kp * h.elem_bytes;

  // A is packed in chunks of whole tiles sized to stay in L2 next to one B panel.
  const size_t tile_bytes = mr * Kp * elem_a;
  const size_t tiles_per_chunk = std::max<size_t>(1, (size_t{1} << 20) / tile_bytes);
  const size_t m_tiles = (M + mr - 1) / mr;
  std::unique_ptr<uint8_t[]> apack(new (std::nothrow) uint8_t[std::min(m_tiles, tiles_per_chunk) * tile_bytes]);
  std::vector<int32_t> row_offset, row_zp;
  if (!apack) return Status::out_of_memory;
  try {
    row_offset.resize(std::min(m_tiles, tiles_per_chunk) * mr);
    row_zp.resize(row_offset.size());
  } catch (const std::bad_alloc&) {
    return Status::out_of_memory;
  }
  const uint32_t zb = static_cast<uint32_t>(args.b_zero_point);
  const uint8_t flip = args.a_signed ? 0x80 : 0;  // int8 A -> Au = A + 128
  const size_t threads_wanted = M * N * K < (size_t{1} << 18) ? 1 : SIZE_MAX;

  for (size_t t0 = 0; t0 < m_tiles; t0 += tiles_per_chunk) {
    const size_t nt = std::min(tiles_per_chunk, m_tiles - t0);
    // Pack A tiles [k/kr][mr][kr]; rows past M and k past K are zero.
    parallel_for(nt, threads_wanted, [&](size_t t) {
      uint8_t* dst = apack.get() + t * tile_bytes;
      std::memset(dst, 0, tile_bytes);
      for (size_t r = 0; r < mr; ++r) {
        const size_t m = (t0 + t) * mr + r;
        const size_t slot = t * mr + r;
        if (m >= M) { row_offset[slot] = 0; row_zp[slot] = 0; continue; }
        const auto* src = static_cast<const uint8_t*>(args.a) + m * args.lda;
        uint32_t sum = 0;
        for (size_t k = 0; k < K; ++k) {
          const uint8_t au = src[k] ^ flip;
          sum += au;
          const size_t idx = (k / kr) * mr * kr + r * kr + k % kr;
          switch (uk.a_format) {
            case QgemmAFormat::u8: dst[idx] = au; break;
            case QgemmAFormat::s8_shifted: dst[idx] = au ^ 0x80; break;
            case QgemmAFormat::s16: {
              const int16_t w = au;
              std::memcpy(dst + idx * 2, &w, 2);
              break;
            }
          }
        }
        const int32_t za = args.a_zero_points ? args.a_zero_points[m] : args.a_zero_point;
        const uint32_t zap = static_cast<uint32_t>(za) + (args.a_signed ? 128u : 0u);
        row_offset[slot] = static_cast<int32_t>(static_cast<uint32_t>(K) * zap * zb - zb * sum);
        // A shifted to int8 lost 128 per element: acc_true = acc + 128 * colsum(B).
        row_zp[slot] = static_cast<int32_t>(zap - (uk.a_format == QgemmAFormat::s8_shifted ? 128u : 0u));
      }
    });
    parallel_for(h.panels, threads_wanted, [&](size_t p) {
      const size_t n0 = p * nr;
      const size_t nr_used = std::min(nr, N - n0);
      for (size_t t = 0; t < nt; ++t) {
        const size_t m0 = (t0 + t) * mr;
        const size_t mr_used = std::min(mr, M - m0);
        QgemmTileOut out{};
        out.row_offset = &row_offset[t * mr];
        out.row_zp = &row_zp[t * mr];
        out.col_sum = col_sums + n0;
        out.ldc = args.ldc;
        if (args.c) {
          out.c = args.c + m0 * args.ldc + n0;
        } else {
          out.y = args.y + m0 * args.ldc + n0;
          out.row_scale = args.a_scales + m0;
          out.col_scale = args.b_scales + n0;
          out.bias = args.bias ? args.bias + n0 : nullptr;
        }
        uk.fn(mr_used, nr_used, Kp, apack.get() + t * tile_bytes, bdata + p * panel_bytes, out);
      }
    });
  }
  return Status::ok;
}

}  // namespace lowbit
