// The shrink executable.
#include "cli/commands.h"

int main(int argc, char** argv) { return shrink::cli::cli_main(argc, argv); }
