// linear with blockwise int4 weights: packing into the kernels' panel records, per-(row,
// block) int8 activations, and the tiles spread over the pool.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>

#include "../dispatch/dispatch.h"
#include "packed.h"
#include "scratch.h"
#include "threadpool.h"

namespace lowbit {
namespace {

constexpr uint32_t kMagicQb4 = 0x3457424c;  // "LBW4"
constexpr uint32_t kFlagFp16 = 1, kFlagAsym = 2;
// Weight kind in bits 2-3 of the flags: blockwise int4 (and q4_0), ggml q4_1, ggml q8_0.
enum class Kind : uint32_t { int4 = 0, q4_1 = 1, q8_0 = 2 };
constexpr uint32_t kKindShift = 2;
// Bytes of int8 activations per chunk of rows in linear_qb4 (about a quarter of L2).
constexpr size_t kActChunkBytes = size_t{512} << 10;

size_t record_bytes(Kind kind, const Qb4Layout& l) {
  switch (kind) {
    case Kind::q4_1: return q41_record_bytes();
    case Kind::q8_0: return qb8_record_bytes();
    default: return qb4_record_bytes(l.group, l.fp16_scales, l.symmetric);
  }
}

// Header fields for this pack: nr = 16, kr = group size, elem_bytes = flags.
size_t layout_bytes(const Qb4Layout& l, PackedHeader* h, Kind kind = Kind::int4) {
  const size_t panels = (l.N + kQb4Nr - 1) / kQb4Nr;
  if (h) {
    *h = PackedHeader{};
    h->magic = kMagicQb4;
    h->nr = kQb4Nr;
    h->kr = static_cast<uint32_t>(l.group);
    h->elem_bytes = (l.fp16_scales ? kFlagFp16 : 0) | (l.symmetric ? 0 : kFlagAsym) |
                    (static_cast<uint32_t>(kind) << kKindShift);
    h->K = l.K;
    h->N = l.N;
    h->Kp = l.blocks() * l.group;
    h->panels = panels;
  }
  return sizeof(PackedHeader) + kPackSlack + panels * l.blocks() * record_bytes(kind, l);
}

Kind kind_of(const PackedHeader& h) { return static_cast<Kind>((h.elem_bytes >> kKindShift) & 3); }

Qb4Layout layout_of(const PackedHeader& h) {
  Qb4Layout l;
  l.N = h.N;
  l.K = h.K;
  l.group = h.kr;
  l.fp16_scales = h.elem_bytes & kFlagFp16;
  l.symmetric = !(h.elem_bytes & kFlagAsym);
  return l;
}

}  // namespace

size_t qb4_packed_size(const Qb4Layout& l) { return qb4_layout_ok(l) ? layout_bytes(l, nullptr) : 0; }

namespace {

// Writes the records of every panel; weight(n, k) gives a nibble, scale(n, b, dst) copies one
// scale's bytes, zp(n, b) a zero point (asymmetric only). Columns past N are zero weights.
template <typename Weight, typename Scale, typename Zp>
Status pack_records(const Qb4Layout& l, void* packed, size_t packed_size, Weight weight, Scale scale, Zp zp) {
  PackedHeader h;
  if (packed_size != layout_bytes(l, &h)) return Status::buffer_too_small;
  h.data_pad = data_pad_for(packed);
  h.check = header_check(h);
  auto* base = static_cast<uint8_t*>(packed);
  std::memcpy(base, &h, sizeof h);
  uint8_t* out = base + data_offset(h);
  const size_t blocks = l.blocks(), g = l.group, record = qb4_record_bytes(g, l.fp16_scales, l.symmetric);
  const size_t scale_size = l.fp16_scales ? 2 : 4;
  parallel_for(h.panels, SIZE_MAX, [&](size_t p) {
    for (size_t b = 0; b < blocks; ++b) {
      uint8_t* rec = out + (p * blocks + b) * record;
      for (size_t t = 0; t < g / 8; ++t)
        for (size_t c = 0; c < kQb4Nr; ++c)
          for (size_t j = 0; j < 4; ++j) {
            const size_t n = p * kQb4Nr + c, k = b * g + 8 * t + j;
            const uint8_t w0 = n < l.N ? weight(n, k) : 0, w1 = n < l.N ? weight(n, k + 4) : 0;
            rec[64 * t + 4 * c + j] = static_cast<uint8_t>(w0 | (w1 << 4));
          }
      uint8_t* scales = rec + g * 8;
      uint8_t* zps = scales + kQb4Nr * scale_size;
      for (size_t c = 0; c < kQb4Nr; ++c) {
        const size_t n = p * kQb4Nr + c;
        if (n < l.N) scale(n, b, scales + c * scale_size);
        else std::memset(scales + c * scale_size, 0, scale_size);  // padding columns weigh nothing
        if (!l.symmetric) zps[c] = n < l.N ? zp(n, b) : 0;
      }
    }
  });
  return Status::ok;
}

}  // namespace

Status qb4_pack(const Qb4Buffers& in, const Qb4Layout& l, void* packed, size_t packed_size) {
  if (!qb4_layout_ok(l) || !packed) return Status::invalid_argument;
  if (l.N && l.K && (!in.data || !in.scales || (!l.symmetric && !in.zero_points))) return Status::invalid_argument;
  const size_t blocks = l.blocks(), g = l.group, row_bytes = blocks * (g / 2), scale_size = l.fp16_scales ? 2 : 4;
  return pack_records(
      l, packed, packed_size,
      [&](size_t n, size_t k) -> uint8_t {  // MatMulNBits: element 2j in the low nibble of byte j
        if (k >= blocks * g) return 0;
        const uint8_t byte = in.data[n * row_bytes + (k / g) * (g / 2) + (k % g) / 2];
        return (k % 2) ? byte >> 4 : byte & 0x0F;
      },
      [&](size_t n, size_t b, uint8_t* dst) {
        std::memcpy(dst, static_cast<const uint8_t*>(in.scales) + (n * blocks + b) * scale_size, scale_size);
      },
      [&](size_t n, size_t b) -> uint8_t {
        return (in.zero_points[n * ((blocks + 1) / 2) + b / 2] >> (4 * (b % 2))) & 0x0F;
      });
}

namespace {

Qb4Layout ggml_layout(GgmlType type, size_t N, size_t K) {
  Qb4Layout l;
  l.N = N;
  l.K = K;
  l.group = kGgmlBlock;
  l.symmetric = type != GgmlType::q4_1;
  l.fp16_scales = true;
  return l;
}

Kind ggml_kind(GgmlType type) {
  return type == GgmlType::q4_1 ? Kind::q4_1 : type == GgmlType::q8_0 ? Kind::q8_0 : Kind::int4;
}

}  // namespace

size_t ggml_linear_packed_size(GgmlType type, size_t N, size_t K) {
  const Qb4Layout l = ggml_layout(type, N, K);
  return qb4_layout_ok(l) && K % kGgmlBlock == 0 ? layout_bytes(l, nullptr, ggml_kind(type)) : 0;
}

Status ggml_linear_pack(GgmlType type, const void* blocks, size_t N, size_t K, void* packed, size_t packed_size) {
  const Qb4Layout l = ggml_layout(type, N, K);
  if (!qb4_layout_ok(l) || K % kGgmlBlock || !packed || (N && K && !blocks)) return Status::invalid_argument;
  const auto* src = static_cast<const uint8_t*>(blocks);
  const size_t per_row = K / kGgmlBlock, bb = ggml_block_bytes(type);
  auto block = [&](size_t n, size_t k) { return src + (n * per_row + k / kGgmlBlock) * bb; };
  if (type == GgmlType::q4_0) {  // (q - 8) * fp16 d: exactly symmetric int4, g = 32
    return pack_records(
        l, packed, packed_size,
        [&](size_t n, size_t k) -> uint8_t {  // byte j: element j low nibble, j + 16 high
          const size_t i = k % kGgmlBlock;
          const uint8_t byte = block(n, k)[offsetof(block_q4_0, qs) + i % 16];
          return i < 16 ? byte & 0x0F : byte >> 4;
        },
        [&](size_t n, size_t b, uint8_t* dst) { std::memcpy(dst, block(n, b * kGgmlBlock) + offsetof(block_q4_0, d), 2); },
        [](size_t, size_t) -> uint8_t { return 8; });
  }
  const Kind kind = ggml_kind(type);
  PackedHeader h;
  if (packed_size != layout_bytes(l, &h, kind)) return Status::buffer_too_small;
  h.data_pad = data_pad_for(packed);
  h.check = header_check(h);
  auto* base = static_cast<uint8_t*>(packed);
  std::memcpy(base, &h, sizeof h);
  uint8_t* out = base + data_offset(h);
  const size_t record = record_bytes(kind, l);
  parallel_for(h.panels, SIZE_MAX, [&](size_t p) {
    for (size_t b = 0; b < per_row; ++b) {
      uint8_t* rec = out + (p * per_row + b) * record;
      std::memset(rec, 0, record);  // padding columns: zero weights, zero scales
      for (size_t c = 0; c < kQb4Nr; ++c) {
        const size_t n = p * kQb4Nr + c;
        if (n >= N) continue;
        const uint8_t* blk = block(n, b * kGgmlBlock);
        if (kind == Kind::q4_1) {
          auto w = [&](size_t i) -> uint8_t {
            const uint8_t byte = blk[offsetof(block_q4_1, qs) + i % 16];
            return i < 16 ? byte & 0x0F : byte >> 4;
          };
          for (size_t t = 0; t < kGgmlBlock / 8; ++t)
            for (size_t j = 0; j < 4; ++j)
              rec[64 * t + 4 * c + j] = static_cast<uint8_t>(w(8 * t + j) | (w(8 * t + 4 + j) << 4));
          std::memcpy(rec + kGgmlBlock * 8 + 2 * c, blk + offsetof(block_q4_1, d), 2);
          std::memcpy(rec + kGgmlBlock * 8 + 2 * kQb4Nr + 2 * c, blk + offsetof(block_q4_1, m), 2);
        } else {  // q8_0: bytes + 128, 4 k per group
          for (size_t t = 0; t < kGgmlBlock / 4; ++t)
            for (size_t j = 0; j < 4; ++j)
              rec[64 * t + 4 * c + j] = static_cast<uint8_t>(blk[offsetof(block_q8_0, qs) + 4 * t + j] ^ 0x80);
          std::memcpy(rec + kGgmlBlock * 16 + 2 * c, blk + offsetof(block_q8_0, d), 2);
        }
      }
    }
  });
  return Status::ok;
}

namespace {

Status validate_qb4(const void* packed, size_t size, PackedHeader* out) {
  if (!packed || size < sizeof(PackedHeader)) return Status::stale_pack;
  PackedHeader h;
  std::memcpy(&h, packed, sizeof h);
  if (h.magic != kMagicQb4 || h.check != header_check(h) || h.data_pad >= kPackSlack) return Status::stale_pack;
  const Qb4Layout l = layout_of(h);
  const Kind kind = kind_of(h);
  PackedHeader expect;
  if (!qb4_layout_ok(l) || static_cast<uint32_t>(kind) > 2 || layout_bytes(l, &expect, kind) != size ||
      expect.panels != h.panels || expect.Kp != h.Kp)
    return Status::stale_pack;
  if (kind != Kind::int4 && (l.group != kGgmlBlock || !l.fp16_scales)) return Status::stale_pack;
  *out = h;
  return Status::ok;
}

}  // namespace

Status qb4_packed_info(const void* packed, size_t packed_size, Qb4Layout* layout) {
  PackedHeader h;
  if (Status s = validate_qb4(packed, packed_size, &h); s != Status::ok) return s;
  *layout = layout_of(h);
  return Status::ok;
}

Status linear_qb4(const float* x, size_t M, const void* packed, size_t packed_size, const float* bias, float* y) {
  PackedHeader h;
  if (Status s = validate_qb4(packed, packed_size, &h); s != Status::ok) return s;
  const Qb4Layout l = layout_of(h);
  const size_t N = l.N, K = l.K, g = l.group, blocks = l.blocks();
  if (M > (size_t{1} << 31)) return Status::invalid_argument;
  if (M == 0 || N == 0) return Status::ok;
  if (!y || (K && !x)) return Status::invalid_argument;
  const Dispatch d = current_dispatch();
  const KernelTable& kt = *d.table;
  auto* xq = static_cast<int8_t*>(scratch(ScratchSlot::act_quant, M * blocks * g + 1));
  auto* params = static_cast<uint8_t*>(scratch(ScratchSlot::act_params, 2 * M * blocks * 4 + 1));
  if (!xq || !params) return Status::out_of_memory;
  auto* sx = reinterpret_cast<float*>(params);
  auto* xsum = reinterpret_cast<int32_t*>(params + M * blocks * 4);
  if (K == 0) {  // no blocks: y = bias
    for (size_t m = 0; m < M; ++m)
      for (size_t n = 0; n < N; ++n) y[m * N + n] = bias ? 0.f + bias[n] : 0.f;
    return Status::ok;
  }
  constexpr size_t kRowsPerItem = 8;
  parallel_for((M + kRowsPerItem - 1) / kRowsPerItem, M * K < (size_t{1} << 16) ? 1 : SIZE_MAX, [&](size_t i) {
    const size_t m0 = i * kRowsPerItem, rows = std::min(kRowsPerItem, M - m0);
    kt.quantize_q8_blocks(x + m0 * K, rows, K, g, xq + m0 * blocks * g, sx + m0 * blocks, xsum + m0 * blocks);
  });
  const uint8_t* base = static_cast<const uint8_t*>(packed) + data_offset(h);
  const Kind kind = kind_of(h);
  const size_t panel_bytes = blocks * record_bytes(kind, l);
  const size_t mr = kt.qb4_mr;
  const Qb4GemmFn gemm = kind == Kind::q4_1 ? kt.q41_gemm : kind == Kind::q8_0 ? kt.qb8_gemm : kt.qb4_gemm;
  const Qb4GemmFn tiles = kind == Kind::int4 ? kt.qb4_gemm_tiles : nullptr;
  const size_t tiles_mr = kt.qb4_tiles_mr;
  // Rows in chunks whose activations stay in L2 while every panel passes them: a panel is read
  // once per chunk, and the activations are not streamed from memory once per panel.
  const size_t row_bytes = blocks * g;
  const size_t chunk = std::max<size_t>(64, kActChunkBytes / row_bytes / 64 * 64);
  for (size_t c0 = 0; c0 < M; c0 += chunk) {
    const size_t c1 = std::min(M, c0 + chunk);
    parallel_for(h.panels, (c1 - c0) * N * K < (size_t{1} << 18) ? 1 : SIZE_MAX, [&](size_t p) {
      Qb4GemmArgs a{};
      a.nr_used = std::min(kQb4Nr, N - p * kQb4Nr);
      a.blocks = blocks;
      a.g = g;
      a.panel = base + p * panel_bytes;
      a.fp16_scales = l.fp16_scales;
      a.symmetric = l.symmetric;
      a.ldy = N;
      a.bias = bias ? bias + p * kQb4Nr : nullptr;
      auto run = [&](Qb4GemmFn fn, size_t m0, size_t rows) {
        a.mr_used = rows;
        a.xq = xq + m0 * row_bytes;
        a.sx = sx + m0 * blocks;
        a.xsum = xsum + m0 * blocks;
        a.y = y + m0 * N + p * kQb4Nr;
        fn(a);
      };
      size_t m0 = c0;
      if (tiles && m0 + tiles_mr <= c1) {  // full tiles on the tile kernel, the rest on the other
        kt.qb4_tiles_begin(g);
        for (; m0 + tiles_mr <= c1; m0 += tiles_mr) run(tiles, m0, tiles_mr);
        kt.qb4_tiles_end();
      }
      for (; m0 < c1; m0 += mr) run(gemm, m0, std::min(mr, c1 - m0));
    });
  }
  return Status::ok;
}

}  // namespace lowbit
