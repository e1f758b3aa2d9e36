#include "domain/program_table.hpp"

#include "tv/str.hpp"

extern "C" const tv::DomainProgram __domain_programs_start[], __domain_programs_end[];

namespace tv {

usize domain_program_count() {
  return usize(__domain_programs_end - __domain_programs_start);
}

const DomainProgram* domain_program_at(usize i) {
  return i < domain_program_count() ? &__domain_programs_start[i] : nullptr;
}

const DomainProgram* find_domain_program(const char* name) {
  for (usize i = 0; i < domain_program_count(); ++i) {
    if (str_eq(__domain_programs_start[i].name, name)) return &__domain_programs_start[i];
  }
  return nullptr;
}

}  // namespace tv
