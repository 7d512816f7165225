// Helpers shared by the dataset tests: a fresh temporary folder per test, byte writers for IDX,
// gzip and CIFAR-10 records, and running numpy through the system python for oracle checks.
#pragma once
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace shrink::test {

namespace fs = std::filesystem;

inline fs::path data_tmp(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("shrink_data_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline void put(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

inline std::string idx_bytes(uint8_t rank, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::string s{char(0), char(0), char(0x08), char(rank)};
  for (uint32_t d : dims)
    for (int k = 3; k >= 0; --k) s += char((d >> (8 * k)) & 0xff);
  s.append(reinterpret_cast<const char*>(data.data()), data.size());
  return s;
}

inline std::string gzip_bytes(const std::string& raw) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(raw.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = uInt(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Runs `code` with numpy as `np`; returns false (test should skip) when python3/numpy is missing.
inline bool have_numpy() { return std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0; }
inline int run_python(const std::string& code) {
  std::string cmd = "/usr/bin/python3 -c \"import numpy as np, sys; " + code + "\"";
  return std::system(cmd.c_str());
}

}  // namespace shrink::test
