// CPU feature detection (with the OS check: the OS must save the wide registers).
#pragma once

#include <cstdint>

namespace lowbit {

struct CpuFeatures {
  // x86
  bool avx2_fma = false;      // AVX2 + FMA + F16C, and the OS saves YMM state
  bool avxvnni = false;       // AVX-VNNI (VEX vpdpbusd), with avx2_fma
  bool avx512vnni = false;    // AVX-512 F/BW/DQ/VL/VNNI, and the OS saves ZMM + opmask state
  bool amx_int8 = false;      // AMX-TILE + AMX-INT8, tile state enabled and granted to us
  // arm
  bool neon = false;
  bool dotprod = false;
  bool i8mm = false;
  const char* names[40] = {};  // raw feature names, nullptr-terminated
};

const CpuFeatures& cpu_features();

}  // namespace lowbit
