"""Compares the abicall run of cffi's ABI-mode tests with the control run
(the same files, the same rebinding, on cffi's own FFI).

Exit status 0 only if no abicall test crashed, no test on the short list
passes (or is not a control-passing test), and every test that passes in
the control passes with abicall or is on the short list of
bindings/python/README.md (the backticked test ids in the section
"cffi's tests abicall does not pass"), each with its reason.

Usage: compare.py CONTROL.jsonl ABICALL.jsonl README.md
"""

import json
import re
import sys


def outcomes(path):
    result = {}
    crashed = set()
    for line in open(path):
        r = json.loads(line)
        test = r["test"]
        if r["crashed"]:
            crashed.add(test)
        # a failure in setup/teardown makes the test a failure
        if r["outcome"] != "passed" or test not in result:
            if result.get(test) in ("failed",) and r["outcome"] != "failed":
                continue
            result[test] = r["outcome"]
    return result, crashed


def short_list(readme):
    text = open(readme).read()
    m = re.search(r"^#+ cffi's tests abicall does not pass\n(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    if not m:
        return {}
    listed = {}
    for line in m.group(1).splitlines():
        ids = re.findall(r"`(testing/[^`]+)`", line)
        reason = line.split(":", 1)[1].strip() if ":" in line else ""
        for i in ids:
            listed[i] = reason
    return listed


def main():
    control, _ = outcomes(sys.argv[1])
    ours, crashed = outcomes(sys.argv[2])
    listed = short_list(sys.argv[3])
    applicable = sorted(t for t, o in control.items() if o == "passed")
    passed = [t for t in applicable if ours.get(t) == "passed"]
    missing = [t for t in applicable if ours.get(t) != "passed"]
    unexplained = [t for t in missing if t not in listed]
    stale = sorted(t for t in listed if ours.get(t) == "passed" or t not in control)
    extra = sorted(t for t, o in ours.items() if o == "passed" and control.get(t) != "passed")
    for t in missing:
        print("%-9s %s%s" % ("LISTED" if t in listed else "FAIL", t, "  (crashed)" if t in crashed else ""))
    for t in sorted(crashed - set(missing)):
        print("CRASHED   %s" % t)
    for t in stale:
        print("STALE     %s (on the README short list, but %s)" % (t, "passes now" if ours.get(t) == "passed" else "not a control-passing test"))
    print(
        "cffi ABI-mode suite: abicall passed %d / control passed %d / applicable %d"
        " (%d on the README short list, %d unexplained, %d crashed; %d pass with abicall only)"
        % (len(passed), len(applicable), len(applicable), len(missing) - len(unexplained), len(unexplained), len(crashed), len(extra))
    )
    ok = not unexplained and not crashed and not stale
    listed_missing = len(missing) - len(unexplained)
    # the plain closing line: listed differences count as skipped
    print("%d passed, %d failed, %d skipped" % (len(passed), len(unexplained) + len(stale), listed_missing))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
