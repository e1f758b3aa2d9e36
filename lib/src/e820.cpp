#include "tv/e820.hpp"

namespace tv {

namespace {

// Overlap priority: Usable is weakest; every other type (including unknown ones) beats it and
// higher numbers beat lower ones. u64 so that type 0xFFFFFFFF + 1 cannot wrap.
u64 rank(u32 type) {
  return type == E820Type::Usable ? 0 : static_cast<u64>(type) + 1;
}

bool wraps(u64 base, u64 size) {
  return base + size < base;
}

}  // namespace

const char* to_string(E820Error e) {
  switch (e) {
    case E820Error::TooManyEntries: return "too many e820 entries";
    case E820Error::EmptyRange: return "empty range";
    case E820Error::Overflow: return "range wraps past 2^64";
  }
  return "unknown e820 error";
}

Status<E820Error> E820Map::add(u64 addr, u64 size, u32 type) {
  if (size == 0) return Err{E820Error::EmptyRange};
  if (wraps(addr, size)) return Err{E820Error::Overflow};
  if (count_ >= kCapacity) return Err{E820Error::TooManyEntries};
  entries_[count_++] = E820Entry{addr, size, type};
  return Ok{};
}

Status<E820Error> E820Map::carve(Range r, u32 new_type) {
  if (r.size == 0) return Err{E820Error::EmptyRange};
  if (wraps(r.base, r.size)) return Err{E820Error::Overflow};

  // Count the extra slots first so a failure leaves the map untouched.
  usize extra = 0;
  for (usize i = 0; i < count_; ++i) {
    const E820Entry& e = entries_[i];
    if (!Range{e.addr, e.size}.overlaps(r)) continue;
    if (e.addr < r.base) ++extra;
    if (e.end() > r.end()) ++extra;
  }
  if (count_ + extra > kCapacity) return Err{E820Error::TooManyEntries};

  for (usize i = 0; i < count_; ++i) {
    const E820Entry e = entries_[i];
    if (!Range{e.addr, e.size}.overlaps(r)) continue;
    // Up to three pieces replace e, in address order, so a sorted map stays sorted.
    E820Entry pieces[3];
    usize n = 0;
    if (e.addr < r.base) pieces[n++] = E820Entry{e.addr, r.base - e.addr, e.type};
    const u64 mid_lo = e.addr > r.base ? e.addr : r.base;
    const u64 mid_hi = e.end() < r.end() ? e.end() : r.end();
    pieces[n++] = E820Entry{mid_lo, mid_hi - mid_lo, new_type};
    if (e.end() > r.end()) pieces[n++] = E820Entry{r.end(), e.end() - r.end(), e.type};

    // Open a gap of n - 1 slots after i (capacity was checked above).
    for (usize j = count_; j > i + 1; --j) entries_[j - 1 + (n - 1)] = entries_[j - 1];
    for (usize k = 0; k < n; ++k) entries_[i + k] = pieces[k];
    count_ += n - 1;
    i += n - 1;  // the new pieces are already final; skip past them
  }
  return Ok{};
}

void E820Map::normalize() {
  if (count_ == 0) return;

  // Sweep over every entry boundary in ascending order; between two consecutive boundaries the
  // set of covering entries is constant, so each such interval gets a single winning type.
  // O(n^2) with n <= 128 and no boundary array, to keep the stack small inside the VMM.
  E820Entry out[kCapacity];
  usize n = 0;
  bool overflow = false;

  u64 pos = entries_[0].addr;
  for (usize i = 1; i < count_; ++i) {
    if (entries_[i].addr < pos) pos = entries_[i].addr;
  }

  for (;;) {
    bool found = false;
    u64 next = 0;
    for (usize i = 0; i < count_; ++i) {
      const u64 bounds[2] = {entries_[i].addr, entries_[i].end()};
      for (u64 b : bounds) {
        if (b > pos && (!found || b < next)) {
          next = b;
          found = true;
        }
      }
    }
    if (!found) break;

    bool covered = false;
    u32 best = 0;
    for (usize i = 0; i < count_; ++i) {
      const E820Entry& e = entries_[i];
      if (e.addr <= pos && pos < e.end() && (!covered || rank(e.type) > rank(best))) {
        best = e.type;
        covered = true;
      }
    }

    if (covered) {
      if (n > 0 && out[n - 1].end() == pos && out[n - 1].type == best) {
        out[n - 1].size += next - pos;
      } else if (n < kCapacity) {
        out[n++] = E820Entry{pos, next - pos, best};
      } else {
        overflow = true;
        break;
      }
    }
    pos = next;
  }

  if (overflow) {
    // Collapse [last.addr, highest end) into the last slot with the strongest type found there,
    // but never Usable: the collapsed span may include holes or reserved pieces.
    E820Entry& last = out[kCapacity - 1];
    u64 max_end = last.end();
    u32 type = last.type;
    for (usize i = 0; i < count_; ++i) {
      const E820Entry& e = entries_[i];
      if (e.end() <= last.addr) continue;
      if (e.end() > max_end) max_end = e.end();
      if (rank(e.type) > rank(type)) type = e.type;
    }
    last.size = max_end - last.addr;
    last.type = type == E820Type::Usable ? static_cast<u32>(E820Type::Reserved) : type;
  }

  for (usize i = 0; i < n; ++i) entries_[i] = out[i];
  count_ = n;
  overflowed_ = overflowed_ || overflow;  // sticky: the information loss is permanent
}

u64 E820Map::total(u32 type) const {
  u64 sum = 0;
  for (usize i = 0; i < count_; ++i) {
    if (entries_[i].type != type) continue;
    // Saturate: entries may still overlap if normalize() was not called.
    const u64 s = sum + entries_[i].size;
    sum = s < sum ? ~u64{0} : s;
  }
  return sum;
}

Result<E820Map, E820Error> build_guest_e820(const MemRegion* host_map, usize n, const Range* hidden, usize n_hidden) {
  E820Map map;
  if (host_map == nullptr) n = 0;
  if (hidden == nullptr) n_hidden = 0;

  for (usize i = 0; i < n; ++i) {
    const MemRegion& r = host_map[i];
    if (r.size == 0) continue;  // firmware emits these; they describe nothing
    auto s = map.add(r.base, r.size, r.type);
    if (!s.ok() && s.error() == E820Error::TooManyEntries) {
      // Host maps often contain adjacent same-type entries: compact and try again.
      map.normalize();
      s = map.add(r.base, r.size, r.type);
    }
    if (!s.ok()) return Err{s.error()};
  }
  map.normalize();

  for (usize i = 0; i < n_hidden; ++i) {
    auto s = map.carve(hidden[i], E820Type::Reserved);
    if (!s.ok() && s.error() == E820Error::TooManyEntries) {
      map.normalize();
      s = map.carve(hidden[i], E820Type::Reserved);
    }
    if (!s.ok()) return Err{s.error()};
  }
  map.normalize();

  if (map.overflowed()) return Err{E820Error::TooManyEntries};
  return map;
}

}  // namespace tv
