// Moved to tests/testing/ids.h (FINESS, SIRET, SolutionLines) and tests/testing/events.h
// (event builders); this header stays for tests written against the old path.
#ifndef ESMS_TESTS_CLI_TEST_DATA_H_
#define ESMS_TESTS_CLI_TEST_DATA_H_

#include "tests/testing/events.h"
#include "tests/testing/ids.h"

#endif  // ESMS_TESTS_CLI_TEST_DATA_H_
