// tvprofile: writes the kernel profile the agentless module-load detector
// needs (tv/kernel_profile.hpp, docs/module-watch.md) from the guest kernel's
// own build artefacts, as Debian ships them in linux-image-<ver>-dbg:
//   symbols from /usr/lib/debug/boot/System.map-<ver>,
//   struct module offsets from the .BTF section of /usr/lib/debug/boot/vmlinux-<ver>.
//
//   tvprofile --vmlinux FILE --system-map FILE --release VER --out FILE
// Exit status: 0 written, 1 an input lacks what is needed, 2 usage.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tv/btf.hpp"
#include "tv/kernel_profile.hpp"

namespace {

int fail(const std::string& why) {
  std::fprintf(stderr, "tvprofile: %s\n", why.c_str());
  return 1;
}

template <typename T>
T load(const std::vector<char>& b, size_t off) {
  T v{};
  if (off + sizeof v <= b.size()) std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

// The bytes of section `want` of a 64-bit little-endian ELF file, read with seeks
// (a -dbg vmlinux is hundreds of MiB; .BTF is a few).
bool read_section(const std::string& path, const std::string& want, std::vector<char>& out, std::string& why) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return why = "cannot open " + path, false;
  std::vector<char> eh(64);
  if (!f.read(eh.data(), 64) || std::memcmp(eh.data(),
                                            "\x7f"
                                            "ELF\x02\x01",
                                            6) != 0)
    return why = path + " is not a 64-bit little-endian ELF file", false;
  const auto shoff = load<uint64_t>(eh, 0x28);
  const auto shentsize = load<uint16_t>(eh, 0x3A), shnum = load<uint16_t>(eh, 0x3C),
             shstrndx = load<uint16_t>(eh, 0x3E);
  if (shentsize < 64 || shnum == 0 || shstrndx >= shnum) return why = path + ": no section headers", false;
  std::vector<char> sh(size_t(shentsize) * shnum);
  f.seekg(std::streamoff(shoff));
  if (!f.read(sh.data(), std::streamsize(sh.size()))) return why = path + ": section headers truncated", false;
  auto field = [&](size_t i, size_t off) { return load<uint64_t>(sh, i * shentsize + off); };
  auto name_of = [&](size_t i) { return load<uint32_t>(sh, i * shentsize); };
  std::vector<char> names(field(shstrndx, 0x20));
  f.seekg(std::streamoff(field(shstrndx, 0x18)));
  if (!f.read(names.data(), std::streamsize(names.size()))) return why = path + ": section names truncated", false;
  for (size_t i = 0; i < shnum; ++i) {
    if (name_of(i) >= names.size() || want != std::string(names.data() + name_of(i))) continue;
    out.resize(field(i, 0x20));
    f.seekg(std::streamoff(field(i, 0x18)));
    if (!f.read(out.data(), std::streamsize(out.size()))) return why = path + ": " + want + " truncated", false;
    return true;
  }
  return why = path + " has no " + want + " section", false;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  for (int i = 1; i + 1 < argc; i += 2) opt[argv[i]] = argv[i + 1];
  for (const char* k : {"--vmlinux", "--system-map", "--release", "--out"})
    if (!opt.count(k)) {
      std::fprintf(stderr, "usage: tvprofile --vmlinux FILE --system-map FILE --release VER --out FILE\n");
      return 2;
    }
  // Symbols: "ffffffff81000000 T _stext" lines.
  std::ifstream map(opt["--system-map"]);
  if (!map) return fail("cannot open " + opt["--system-map"]);
  std::map<std::string, std::string> sym;
  const std::vector<std::string> wanted = {"entry_SYSCALL_64", "do_init_module", "free_module"};
  for (std::string line; std::getline(map, line);) {
    std::istringstream in(line);
    std::string addr, type, name;
    if (!(in >> addr >> type >> name)) continue;
    for (const std::string& w : wanted)
      if (name == w && (type == "t" || type == "T") && !sym.count(w)) sym[w] = addr;
  }
  for (const std::string& w : wanted)
    if (!sym.count(w)) return fail(opt["--system-map"] + " has no text symbol " + w);

  std::vector<char> btf;
  std::string why;
  if (!read_section(opt["--vmlinux"], ".BTF", btf, why)) return fail(why);
  const auto* data = reinterpret_cast<const uint8_t*>(btf.data());
  auto n = tv::BtfReader::count_types(data, btf.size());
  if (!n) return fail(std::string(".BTF: ") + tv::to_string(n.error()));
  std::vector<uint32_t> index(*n);
  auto reader = tv::BtfReader::open(data, btf.size(), index.data(), index.size());
  if (!reader) return fail(std::string(".BTF: ") + tv::to_string(reader.error()));
  std::string offsets;
  for (const char* path : {"state", "name", "core_layout.base", "core_layout.size", "core_layout.text_size"}) {
    auto off = reader->member_offset("module", path);
    if (!off) return fail(std::string("struct module.") + path + ": " + tv::to_string(off.error()));
    offsets += "offset module." + std::string(path) + " " + std::to_string(*off) + "\n";
  }
  std::string text = std::string(tv::kProfileMagic) + "\nrelease " + opt["--release"] + "\n";
  for (const std::string& w : wanted) text += "symbol " + w + " " + sym[w] + "\n";
  text += offsets;
  // The VMM reads it with the same parser: refuse to write what it would refuse.
  if (auto k = tv::parse_kernel_profile(text.data(), text.size()); !k)
    return fail(std::string("the profile would not parse: ") + tv::to_string(k.error()));
  std::ofstream out(opt["--out"]);
  if (!(out << text)) return fail("cannot write " + opt["--out"]);
  return 0;
}
