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
#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "../dispatch/dispatch.h"
#include "packed.h"
#include "scratch.h"
#include "threadpool.h"

namespace lowbit {
namespace {

size_t qgemm_layout(const QgemmUkernel& uk, size_t K, size_t N, PackedHeader* h) {
  const size_t Kp = round_up(K == 0 ? 1 : K, std::max(uk.kr, uk.a_kr));
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
  return sizeof(PackedHeader) + kPackSlack + panels * uk.nr * sizeof(int32_t) + panels * uk.nr * Kp * elem;
}

// Too large to address, or to be a sane tensor: refuse before any size arithmetic can wrap.
bool dims_ok(size_t a, size_t b) { return a <= (size_t{1} << 31) && b <= (size_t{1} << 31); }

// Row r of an A tile in the kernel's layout [k/a_kr][mr][a_kr]; src == nullptr writes zeros.
// Only the k groups are scattered; each group's a_kr
// elements are copied as one word.
template <size_t KR>
void scatter_bytes(const uint8_t* src, size_t K, uint8_t x, size_t mr, size_t r, size_t Kp, uint8_t* dst) {
  const size_t full = src ? K / KR : 0;
  uint8_t* d = dst + r * KR;
  if (x == 0) {  // uint8 A into u8 kernels: a plain copy (the xor below goes through the stack)
    for (size_t g = 0; g < full; ++g, d += mr * KR) std::memcpy(d, src + g * KR, KR);
  } else {
    for (size_t g = 0; g < full; ++g, d += mr * KR) {
      uint8_t v[KR];  // fixed size: compiles to a few wide moves and one xor
      std::memcpy(v, src + g * KR, KR);
      for (size_t i = 0; i < KR; ++i) v[i] ^= x;
      std::memcpy(d, v, KR);
    }
  }
  for (size_t g = full; g < Kp / KR; ++g, d += mr * KR) {
    uint8_t tmp[KR] = {};
    for (size_t i = 0; i < KR; ++i) {
      const size_t k = g * KR + i;
      if (src && k < K) tmp[i] = src[k] ^ x;
    }
    std::memcpy(d, tmp, KR);
  }
}

// As scatter_bytes, for kernels that take A widened to int16.
template <size_t KR>
void widen_bytes(const uint8_t* src, size_t K, uint8_t x, size_t mr, size_t r, size_t Kp, uint8_t* dst) {
  auto* d = reinterpret_cast<int16_t*>(dst) + r * KR;  // tile buffers are 2-aligned
  for (size_t g = 0; g < Kp / KR; ++g, d += mr * KR)
    for (size_t i = 0; i < KR; ++i) {
      const size_t k = g * KR + i;
      d[i] = (src && k < K) ? static_cast<uint8_t>(src[k] ^ x) : 0;
    }
}

void pack_a_row(const QgemmUkernel& uk, const uint8_t* src, size_t K, size_t Kp, uint8_t flip,
                size_t r, uint8_t* dst) {
  const size_t mr = uk.mr, kr = uk.a_kr;
  if (uk.a_direct) {  // row-major, Kp apart (see QgemmTileOut::lda)
    uint8_t* d = dst + r * Kp;
    const size_t n = src ? K : 0;
    if (flip == 0) {
      if (n) std::memcpy(d, src, n);
    } else {
      for (size_t k = 0; k < n; ++k) d[k] = src[k] ^ flip;
    }
    std::memset(d + n, 0, Kp - n);
    return;
  }
  if (uk.a_format == QgemmAFormat::s16) {
    if (kr == 1) widen_bytes<1>(src, K, flip, mr, r, Kp, dst);
    else widen_bytes<2>(src, K, flip, mr, r, Kp, dst);
  } else {
    const uint8_t x = flip ^ (uk.a_format == QgemmAFormat::s8_shifted ? 0x80 : 0);
    switch (kr) {
      case 1: scatter_bytes<1>(src, K, x, mr, r, Kp, dst); break;
      case 2: scatter_bytes<2>(src, K, x, mr, r, Kp, dst); break;
      case 4: scatter_bytes<4>(src, K, x, mr, r, Kp, dst); break;
      case 8: scatter_bytes<8>(src, K, x, mr, r, Kp, dst); break;
      default: scatter_bytes<64>(src, K, x, mr, r, Kp, dst); break;
    }
  }
}

// A rows packed before B is swept: B is read once per chunk, so chunks are made large (up to
// kChunkRows rows, or kChunkBytes when K is short).
constexpr size_t kChunkRows = 512, kChunkBytes = size_t{1} << 20;
// Tile-major sweeps (QgemmUkernel::tile_major): B panels per group fill about half of L2. The
// order pays while a tile of A fits in L1 beside the streaming panel, or when the run's A is
// too large to stay in L2 while one panel at a time passes it (then each tile of A stays in L2
// while its group streams). Between the two, keeping the panel is better: measured in a
// scratch harness (one thread, GOPS, panel-major / tile-major): 1024^3 1806 / 3012, 2048^3
// 2053 / 2195, 128x4096x4096 2428 / 2154, 512x4096x4096 1791 / 2338.
constexpr size_t kGroupBytes = size_t{1} << 20, kTileMajorMaxA = size_t{40} << 10;

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
  h.data_pad = data_pad_for(packed);
  h.check = header_check(h);
  auto* base = static_cast<uint8_t*>(packed);
  std::memcpy(base, &h, sizeof h);
  auto* col_sums = reinterpret_cast<int32_t*>(base + data_offset(h));
  uint8_t* data = base + data_offset(h) + h.panels * uk.nr * sizeof(int32_t);
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
  if (h.magic != kMagicQ8 || h.check != header_check(h) || !dims_ok(h.K, h.N) || h.data_pad >= kPackSlack)
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
  const QgemmUkernel& packed_for = d.table->qgemm;  // the layout B was packed in
  const QgemmUkernel& uk = args.M <= d.table->small_m_max && d.table->qgemm_small.fn
                               ? d.table->qgemm_small : packed_for;
  PackedHeader h;
  if (Status s = validate_q8(args.packed_b, args.packed_b_size, &h); s != Status::ok) return s;
  PackedHeader expect;
  if (h.isa != static_cast<uint32_t>(d.isa) ||
      qgemm_layout(packed_for, h.K, h.N, &expect) != args.packed_b_size || expect.Kp != h.Kp ||
      expect.nr != h.nr || expect.kr != h.kr || expect.elem_bytes != h.elem_bytes)
    return Status::stale_pack;
  const size_t M = args.M, K = h.K, N = h.N;
  if (!dims_ok(M, 1)) return Status::invalid_argument;
  if (M == 0 || N == 0) return Status::ok;  // (an empty output may have no address)
  if ((!args.a && K) || (args.c == nullptr) == (args.y == nullptr)) return Status::invalid_argument;
  if (M > 0 && K > 0 && args.lda < K) return Status::invalid_argument;
  if (M > 0 && N > 0 && args.ldc < N) return Status::invalid_argument;
  if (args.y && (!args.a_scales || !args.b_scales)) return Status::invalid_argument;

  const auto* base = static_cast<const uint8_t*>(args.packed_b);
  const auto* col_sums = reinterpret_cast<const int32_t*>(base + data_offset(h));
  const uint8_t* bdata = base + data_offset(h) + h.panels * h.nr * sizeof(int32_t);
  const size_t mr = uk.mr, nr = h.nr, Kp = h.Kp;
  const size_t elem_a = uk.a_format == QgemmAFormat::s16 ? 2 : 1;
  const size_t panel_bytes = nr * Kp * h.elem_bytes;

  // A is packed in groups of whole tiles (see kChunkRows); rows past M are zero.
  const size_t tile_bytes = mr * Kp * elem_a;
  const size_t tiles_per_chunk = std::max<size_t>(1, std::max(kChunkBytes / tile_bytes, kChunkRows / mr));
  const size_t m_tiles = (M + mr - 1) / mr;
  const uint32_t zb = static_cast<uint32_t>(args.b_zero_point);
  const uint8_t flip = args.a_signed ? 0x80 : 0;  // int8 A -> Au = A + 128
  const size_t threads_wanted = M * N * K < (size_t{1} << 18) ? 1 : SIZE_MAX;

  // Kernels that read A through a row stride take full tiles of uint8 A as they are: packing
  // would only copy them. (int8 A needs its sign flipped, a ragged K needs zero padding, and
  // rows that straddle cache lines load at half speed: JavaScript's large buffers start 16
  // bytes past a page, so those are packed too.)
  const bool direct_a = uk.a_direct && flip == 0 && Kp == K && args.lda <= (size_t{1} << 31) &&
                        reinterpret_cast<uintptr_t>(args.a) % 64 == 0 && args.lda % 64 == 0;
  auto is_direct = [&](size_t t) { return direct_a && (t + 1) * mr <= M; };
  // Packs A tile t (global index) into dst unless it is read directly, and works out its rows'
  // zero-point terms; *plain says they are all zero (then c = acc).
  auto pack_tile = [&](size_t t, uint8_t* dst, int32_t* row_offset, int32_t* row_zp, int32_t* plain) {
    bool zero_terms = true;
    for (size_t r = 0; r < mr; ++r) {
      const size_t m = t * mr + r;
      if (m >= M) {
        pack_a_row(uk, nullptr, 0, Kp, 0, r, dst);
        row_offset[r] = 0;
        row_zp[r] = 0;
        continue;
      }
      const auto* src = static_cast<const uint8_t*>(args.a) + m * args.lda;
      if (!is_direct(t)) pack_a_row(uk, src, K, Kp, flip, r, dst);
      const uint32_t sum = zb ? d.table->sum_u8(src, K, flip) : 0;  // only needed times zb
      const int32_t za = args.a_zero_points ? args.a_zero_points[m] : args.a_zero_point;
      const uint32_t zap = static_cast<uint32_t>(za) + (args.a_signed ? 128u : 0u);
      row_offset[r] = static_cast<int32_t>(static_cast<uint32_t>(K) * zap * zb - zb * sum);
      // A shifted to int8 lost 128 per element: acc_true = acc + 128 * colsum(B).
      row_zp[r] = static_cast<int32_t>(zap - (uk.a_format == QgemmAFormat::s8_shifted ? 128u : 0u));
      zero_terms = zero_terms && row_offset[r] == 0 && row_zp[r] == 0;
    }
    *plain = zero_terms;
  };
  // The scratch of a run of tiles starting at global tile t0: tile i's packed A at
  // apack + i * tile_bytes, its rows' terms at row_offset/row_zp + i * mr, plain[i].
  struct Run {
    size_t t0;
    uint8_t* apack;
    int32_t *row_offset, *row_zp, *plain;
  };
  // Tile i of the run (its packed A at a_packed) against panel p.
  auto run_tile = [&](const Run& run, size_t i, size_t p, const uint8_t* a_packed) {
    const size_t n0 = p * nr, m0 = (run.t0 + i) * mr;
    QgemmTileOut out{};
    out.row_offset = run.row_offset + i * mr;
    out.row_zp = run.row_zp + i * mr;
    out.col_sum = col_sums + n0;
    out.ldc = args.ldc;
    out.plain = run.plain[i] != 0;
    if (args.c) {
      out.c = args.c + m0 * args.ldc + n0;
    } else {
      out.y = args.y + m0 * args.ldc + n0;
      out.row_scale = args.a_scales + m0;
      out.col_scale = args.b_scales + n0;
      out.bias = args.bias ? args.bias + n0 : nullptr;
    }
    const uint8_t* a_tile = a_packed;
    if (uk.a_direct) out.lda = Kp;
    if (is_direct(run.t0 + i)) {
      a_tile = static_cast<const uint8_t*>(args.a) + m0 * args.lda;
      out.lda = args.lda;
    }
    uk.fn(std::min(mr, M - m0), std::min(nr, N - n0), Kp, a_tile, bdata + p * panel_bytes, out);
  };
  auto pack_run_tile = [&](const Run& run, size_t i, uint8_t* dst) {
    pack_tile(run.t0 + i, dst, run.row_offset + i * mr, run.row_zp + i * mr, run.plain + i);
  };
  // Tiles [0, nt) of the run against panels [p0, p1), packing each tile first unless packed.
  const size_t group_panels = std::max<size_t>(1, kGroupBytes / panel_bytes);
  auto sweep = [&](const Run& run, size_t nt, size_t p0, size_t p1, bool packed) {
    if (uk.begin) uk.begin();
    if (uk.tile_major && (tile_bytes <= kTileMajorMaxA || nt * tile_bytes >= kGroupBytes)) {
      // Each tile is packed just before its first use, so it is in L1; with one group of
      // panels it is never used again and every tile shares one buffer, which stays in L1.
      const bool one_group = p1 - p0 <= group_panels;
      for (size_t g0 = p0; g0 < p1; g0 += group_panels) {
        const size_t g1 = std::min(p1, g0 + group_panels);
        for (size_t i = 0; i < nt; ++i) {
          uint8_t* a_packed = run.apack + (one_group && !packed ? 0 : i * tile_bytes);
          if (!packed && g0 == p0) pack_run_tile(run, i, a_packed);
          for (size_t p = g0; p < g1; ++p) run_tile(run, i, p, a_packed);
        }
      }
    } else {
      if (!packed)
        for (size_t i = 0; i < nt; ++i) pack_run_tile(run, i, run.apack + i * tile_bytes);
      for (size_t p = p0; p < p1; ++p)
        for (size_t i = 0; i < nt; ++i) run_tile(run, i, p, run.apack + i * tile_bytes);
    }
    if (uk.end) uk.end();
  };
  auto buffers = [&](size_t t0, size_t tiles, Run* run) {
    run->t0 = t0;
    run->apack = static_cast<uint8_t*>(scratch(ScratchSlot::a_pack, tiles * tile_bytes));
    run->row_offset = static_cast<int32_t*>(scratch(ScratchSlot::row_data, (2 * mr + 1) * tiles * sizeof(int32_t)));
    run->row_zp = run->row_offset ? run->row_offset + tiles * mr : nullptr;
    run->plain = run->row_offset ? run->row_zp + tiles * mr : nullptr;
    return run->apack && run->row_offset;
  };

  const size_t nthreads = threads_wanted == 1 ? 1 : static_cast<size_t>(threads());
  if (nthreads > 1 && m_tiles >= 2 * nthreads) {
    // Many rows: each thread takes whole groups of rows, packs them into its own scratch and
    // sweeps every panel, so its A stays in its own core's cache.
    const size_t group = std::min(tiles_per_chunk, (m_tiles + nthreads - 1) / nthreads);
    const size_t groups = (m_tiles + group - 1) / group;
    std::atomic<bool> oom{false};
    parallel_for(groups, threads_wanted, [&](size_t g) {
      Run run;
      if (!buffers(g * group, std::min(group, m_tiles - g * group), &run)) { oom = true; return; }
      sweep(run, std::min(group, m_tiles - run.t0), 0, h.panels, false);
    });
    return oom ? Status::out_of_memory : Status::ok;
  }
  // Few rows: pack them once, then the threads split the panels (one thread: one sweep).
  Run run;
  if (!buffers(0, std::min(m_tiles, tiles_per_chunk), &run)) return Status::out_of_memory;
  for (size_t t0 = 0; t0 < m_tiles; t0 += tiles_per_chunk) {
    const size_t nt = std::min(tiles_per_chunk, m_tiles - t0);
    run.t0 = t0;
    if (nthreads == 1) {
      sweep(run, nt, 0, h.panels, false);
      continue;
    }
    parallel_for(nt, threads_wanted, [&](size_t i) { pack_run_tile(run, i, run.apack + i * tile_bytes); });
    parallel_for(h.panels, threads_wanted, [&](size_t p) { sweep(run, nt, p, p + 1, true); });
  }
  return Status::ok;
}

}  // namespace lowbit
