// The AMX tile configuration (palette 1) as ldtilecfg reads it: 64 bytes, per-tile rows and
// bytes per row. Include only from files compiled with AMX flags.
#pragma once

#include <cstdint>

namespace lowbit {
namespace {  // internal linkage, as every header shared by ISA-specific files

struct alignas(64) TileConfig {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

}  // namespace
}  // namespace lowbit
