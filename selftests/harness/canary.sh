#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fails when HASYS_SELFTEST_FAIL=1 (make check-harness sets it), is skipped otherwise.

. "$(dirname "$0")/../kselftest/ktap_helpers.sh"

ktap_print_header
ktap_set_plan 1
if [ "${HASYS_SELFTEST_FAIL:-0}" = 1 ]; then
	ktap_test_fail "deliberate failure (HASYS_SELFTEST_FAIL=1)"
else
	ktap_test_skip "deliberate failure not requested (HASYS_SELFTEST_FAIL unset)"
fi
ktap_finished
