// Reads a file from tests/unit/data (TV_TEST_DATA_DIR): binary tables dumped
// from QEMU. An empty vector if the file is missing.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "tv/types.hpp"

namespace tv::test {

inline std::vector<u8> read_test_data(const std::string& name) {
  std::string path = std::string(TV_TEST_DATA_DIR) + "/" + name;
  std::vector<u8> data;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return data;
  int c;
  while ((c = std::fgetc(f)) != EOF) data.push_back(u8(c));
  std::fclose(f);
  return data;
}

}  // namespace tv::test
