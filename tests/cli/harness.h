// Moved to tests/testing/cli.h (running commands) and tests/testing/ids.h; this header
// stays for tests written against the old path.
#ifndef ESMS_TESTS_CLI_HARNESS_H_
#define ESMS_TESTS_CLI_HARNESS_H_

#include "tests/testing/cli.h"

#endif  // ESMS_TESTS_CLI_HARNESS_H_
