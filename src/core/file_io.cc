// File reads and atomic writes.
#include "core/file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace shrink {

std::string read_file(const std::string& path, uint64_t max_bytes) {
  struct stat st {};
  SHRINK_CHECK(::stat(path.c_str(), &st) == 0, "cannot open '", path, "': ", std::strerror(errno));
  SHRINK_CHECK(S_ISREG(st.st_mode), "'", path, "' is not a regular file");
  SHRINK_CHECK(uint64_t(st.st_size) <= max_bytes, "'", path, "' is too large (", st.st_size, " bytes)");
  std::ifstream in(path, std::ios::binary);
  SHRINK_CHECK(in.good(), "cannot open '", path, "'");
  std::string data(size_t(st.st_size), '\0');
  in.read(data.data(), std::streamsize(data.size()));
  SHRINK_CHECK(size_t(in.gcount()) == data.size(), "cannot read '", path, "'");
  return data;
}

void write_file_atomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  SHRINK_CHECK(f != nullptr, "cannot write '", path, "': ", std::strerror(errno));
  size_t written = data.empty() ? 0 : std::fwrite(data.data(), 1, data.size(), f);
  bool ok = written == data.size() && std::fflush(f) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    fail_input("cannot write '", path, "': ", std::strerror(err));
  }
}

}  // namespace shrink
