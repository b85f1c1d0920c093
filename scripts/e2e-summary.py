#!/usr/bin/env python3
"""Adds up the JUnit XML files of the e2e phases (scripts/harness.sh, harness_pytest):
one closing line `e2e: N passed, N failed, N skipped`, after the id of every failed test."""
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        continue  # a phase that ran no test (or crashed before writing) leaves none
    for case in root.iter("testcase"):
        outcome = {child.tag for child in case}
        name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        if outcome & {"failure", "error"}:
            failed += 1
            failures.append(name)
        elif "skipped" in outcome:
            skipped += 1
        else:
            passed += 1
for name in failures:
    print(f"FAILED {name}")
print(f"e2e: {passed} passed, {failed} failed, {skipped} skipped")
