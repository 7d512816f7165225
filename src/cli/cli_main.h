// The `shrink` entry point, without the command-line library's headers (cheap to include).
#pragma once
#include <string>
#include <vector>

namespace shrink::cli {

// Returns the process exit code (0 ok, 2 bad input or usage, 1 internal failure).
int cli_main(int argc, const char* const* argv);
// Convenience for tests: cli_main({"run", "model.onnx", ...}).
int cli_main(const std::vector<std::string>& args);

}  // namespace shrink::cli
