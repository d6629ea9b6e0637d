"""Prints the differential tests' coverage numbers at the end of the session."""

import os
import sys


def pytest_terminal_summary(terminalreporter):
    suffix = os.path.join("differential", "test_differential.py")
    for module in list(sys.modules.values()):
        if (getattr(module, "__file__", None) or "").endswith(suffix):
            lines = module.coverage_lines()
            if lines:
                terminalreporter.write_sep("-", "differential coverage")
                for line in lines:
                    terminalreporter.write_line(line)
            return
