// The `shrink` subcommands. Each file adds one subcommand to the CLI11 app and sets the action
// to run when it is chosen; cli_main parses, runs, and maps errors to exit codes.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace shrink::cli {

using Action = std::function<int()>;

void add_info_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_bench_command(CLI::App& app, Action& action);
void add_convert_command(CLI::App& app, Action& action);
void add_demo_command(CLI::App& app, Action& action);

// Entry point: returns the process exit code (0 ok, 2 bad input or usage, 1 internal failure).
int cli_main(int argc, const char* const* argv);
// Convenience for tests: cli_main({"run", "model.onnx", ...}).
int cli_main(const std::vector<std::string>& args);

}  // namespace shrink::cli
