// Parses the command line, dispatches to the chosen subcommand, and turns every failure into one
// line on stderr and an exit code.
#include <cstdio>
#include <new>

#include "cli/commands.h"
#include "core/error.h"

namespace shrink::cli {

int cli_main(int argc, const char* const* argv) {
  CLI::App app{"shrink: compress trained neural networks (ONNX in, smaller and faster ONNX out)", "shrink"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "shrink 0.1.0");
  Action action;
  add_info_command(app, action);
  add_run_command(app, action);
  add_bench_command(app, action);
  add_convert_command(app, action);
  add_demo_command(app, action);
  add_train_command(app, action);
  add_eval_command(app, action);
  add_init_command(app, action);
  add_data_command(app, action);
  add_quantize_command(app, action);
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) known = known || sub->get_name() == argv[1];
    if (!known) {
      std::fprintf(stderr, "shrink: error: unknown command '%s' (see shrink --help)\n", argv[1]);
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "shrink: error: %s (see shrink --help)\n", e.what());
    return 2;
  }
  try {
    return action ? action() : 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "shrink: error: %s\n", e.what());
    return e.kind() == ErrorKind::kBadInput ? 2 : 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "shrink: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shrink: error: internal: %s\n", e.what());
    return 1;
  }
}

int cli_main(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"shrink"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return cli_main(int(argv.size()), argv.data());
}

}  // namespace shrink::cli
