// The shrink executable.
#include "cli/cli_main.h"

int main(int argc, char** argv) { return shrink::cli::cli_main(argc, argv); }
