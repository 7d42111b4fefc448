// Moved to tests/testing/ids.h (FINESS, SIRET, SolutionLines); this header stays for
// tests written against the old path. Event builders: tests/testing/events.h.
#ifndef ESMS_TESTS_CLI_TEST_DATA_H_
#define ESMS_TESTS_CLI_TEST_DATA_H_

#include "tests/testing/ids.h"

#endif  // ESMS_TESTS_CLI_TEST_DATA_H_
