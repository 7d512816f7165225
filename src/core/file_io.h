// Whole-file reads with a size bound, and atomic writes: data goes to a temporary file in the
// same folder, which is renamed over the target only when complete (a failed run leaves nothing).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace shrink {

// Reads a whole file; fails (bad input) if missing, unreadable, or larger than max_bytes.
std::string read_file(const std::string& path, uint64_t max_bytes = uint64_t(1) << 34);
// Writes atomically; fails (bad input) when the folder cannot be written.
void write_file_atomic(const std::string& path, std::string_view data);

}  // namespace shrink
