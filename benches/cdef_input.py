#!/usr/bin/env python3
"""Writes the cdef benchmark input: sqlite3.h run through the C preprocessor,
with the one construct cffi cannot parse (`__builtin_va_list`) replaced by an
opaque pointer typedef. Usage: cdef_input.py OUT (or - for stdout)."""
import subprocess, sys

def make():
    try:
        text = subprocess.run(["cc", "-E", "-P", "-x", "c", "-"], input="#include <sqlite3.h>\n",
                              capture_output=True, text=True, check=True).stdout
    except subprocess.CalledProcessError as e:
        sys.exit("preprocessing sqlite3.h failed (apt-get install -y libsqlite3-dev):\n" + e.stderr)
    text = text.replace("typedef __builtin_va_list __gnuc_va_list;\n", "")
    text = text.replace("typedef __gnuc_va_list va_list;\n", "typedef struct __va_list_opaque *va_list;\n")
    return text

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "-"
    t = make()
    if out == "-":
        sys.stdout.write(t)
    else:
        open(out, "w").write(t)
