#include "scratch.h"

#include <cstdlib>
#include <new>

namespace lowbit {
namespace {

struct Buffers {
  void* ptr[static_cast<int>(ScratchSlot::count)] = {};
  size_t size[static_cast<int>(ScratchSlot::count)] = {};
  ~Buffers() {
    for (void* p : ptr) ::operator delete(p, std::align_val_t{64});
  }
};
thread_local Buffers t_buffers;

}  // namespace

void* scratch(ScratchSlot slot, size_t bytes) {
  const int i = static_cast<int>(slot);
  if (bytes <= t_buffers.size[i]) return t_buffers.ptr[i];
  ::operator delete(t_buffers.ptr[i], std::align_val_t{64});
  t_buffers.ptr[i] = nullptr;
  t_buffers.size[i] = 0;
  const size_t want = bytes + bytes / 4;  // some headroom for the next, slightly larger call
  void* p = ::operator new(want, std::align_val_t{64}, std::nothrow);
  if (!p) return nullptr;
  t_buffers.ptr[i] = p;
  t_buffers.size[i] = want;
  return p;
}

}  // namespace lowbit
