// The `shrink` subcommands. Each file adds one subcommand to the CLI11 app and sets the action
// to run when it is chosen; cli_main parses, runs, and maps errors to exit codes.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli_main.h"

namespace shrink::cli {

using Action = std::function<int()>;

void add_info_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_bench_command(CLI::App& app, Action& action);
void add_convert_command(CLI::App& app, Action& action);
void add_demo_command(CLI::App& app, Action& action);
void add_train_command(CLI::App& app, Action& action);
void add_eval_command(CLI::App& app, Action& action);
void add_init_command(CLI::App& app, Action& action);
void add_data_command(CLI::App& app, Action& action);
void add_quantize_command(CLI::App& app, Action& action);


}  // namespace shrink::cli
