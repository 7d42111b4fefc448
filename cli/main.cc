#include "cli/app.h"

int main(int argc, char** argv) { return esms::cli::Run(argc, argv); }
