// Finds the SLP_TYP values of a sleep state in a DSDT/SSDT body: the object
// Name(\_Sx, Package(){a, b, ...}) (ACPI 6.5 §7.4.2). A byte scan, not an AML
// interpreter: the first well-formed match wins, scopes and If blocks are not
// followed (firmware declares \_Sx in the root, QEMU 7.2 unconditionally).
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class AmlError : u8 {
  NotFound = 1,  // no Name(_Sx, ...) in the table
  Truncated,     // the object runs past the end of the table
  BadPackage,    // not a package, bad PkgLength, fewer than 2 elements or a non-constant element
  BadState,      // state is not 0-5
};
const char* to_string(AmlError e);

struct SleepType {
  u8 a;  // PM1a_CNT.SLP_TYP
  u8 b;  // PM1b_CNT.SLP_TYP
};

// aml/len: the table body after the 36-byte header. Never reads outside it.
Result<SleepType, AmlError> find_sleep_type(const u8* aml, usize len, u8 state);

}  // namespace tv
