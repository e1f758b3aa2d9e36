// A sparse fake of physical memory for the ACPI and RSDP tests: bytes put
// there read back, the first MiB (the BIOS areas) reads as zeros, everything
// else is unreadable.
#pragma once
#include <map>
#include <vector>

#include "tv/page_walk.hpp"

namespace tv::testing_phys {

class FakePhys : public PhysMemory {
 public:
  bool read(u64 gpa, void* dst, usize len) const override {
    for (usize i = 0; i < len; ++i) {
      auto it = bytes_.find(gpa + i);
      if (it == bytes_.end()) {
        if (gpa + i < 0x100000) {  // the BIOS area reads as zeros
          static_cast<u8*>(dst)[i] = 0;
          continue;
        }
        return false;
      }
      static_cast<u8*>(dst)[i] = it->second;
    }
    return true;
  }
  void put(u64 at, const std::vector<u8>& b) {
    for (size_t i = 0; i < b.size(); ++i) bytes_[at + i] = b[i];
  }

 private:
  std::map<u64, u8> bytes_;
};

}  // namespace tv::testing_phys
