// Bounded gzip decompression through zlib: output grows with the data actually inflated (never
// with what a header claims) and stops with an error past max_bytes, so gzip bombs cannot exhaust memory.
#include <zlib.h>

#include <algorithm>

#include "train/data/readers.h"

namespace shrink::train {

bool is_gzip(std::string_view b) { return b.size() >= 2 && uint8_t(b[0]) == 0x1f && uint8_t(b[1]) == 0x8b; }

std::string gunzip(std::string_view in, const std::string& what, uint64_t max_bytes) {
  z_stream zs{};
  SHRINK_ASSERT(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, "inflateInit2");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  size_t left = in.size();
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && left) {
      zs.avail_in = uInt(std::min<size_t>(left, 1u << 30));
      left -= zs.avail_in;
    }
    if (out.size() >= max_bytes) {
      inflateEnd(&zs);
      fail_input(what, ": gzip data inflates past the limit of ", max_bytes, " bytes");
    }
    size_t chunk = std::min<uint64_t>(std::max<size_t>(out.size(), 1 << 16), max_bytes - out.size());
    size_t old = out.size();
    out.resize(old + chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = uInt(std::min<size_t>(chunk, 1u << 30));
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old + (std::min<size_t>(chunk, 1u << 30) - zs.avail_out));
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && left == 0) rc = Z_DATA_ERROR;  // input ended early
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      inflateEnd(&zs);
      fail_input(what, ": corrupt or truncated gzip data");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace shrink::train
