// The one table of chosen kernels. Only dispatch/ names more than one ISA.
#pragma once

#include "../include/lowbit/lowbit.h"
#include "../kernels/ukernels.h"

namespace lowbit {

struct Dispatch {
  Isa isa;
  const KernelTable* table;
};
// A consistent snapshot of the current choice; callers use it for a whole operation.
Dispatch current_dispatch();
// The table of a given ISA if built into this binary, else nullptr (tests, packers).
const KernelTable* kernel_table(Isa isa);

}  // namespace lowbit
