"""cffi's out-of-line ABI-mode modules on abicall.

``ffibuilder.set_source("_mod", None)`` makes cffi's recompiler write a
Python module that calls ``_cffi_backend.FFI("_mod", _version=0x2601,
_types=..., _globals=..., _struct_unions=..., _enums=..., _typenames=...,
_includes=...)``: the declarations of the cdef, serialized as the type
tables of cffi's ``parse_c_type.h``. This module reads those tables back
into C declarations, which the abicall parser then lays out as the C
compiler would (ABI mode carries no sizes or offsets).

The format, as ``parse_c_type.h`` and ``recompiler.py`` define it:

* ``_types``: big-endian 32-bit words, ``(arg << 8) | op``; ``op`` is
  PRIMITIVE (``arg`` a primitive number), POINTER (``arg`` the pointee's
  index), ARRAY (item index; the next word is the length), OPEN_ARRAY,
  STRUCT_UNION (index in ``_struct_unions``), ENUM (index in ``_enums``),
  FUNCTION (result index; then one word per parameter, the parameter's
  type or a NOOP pointing at it; then FUNCTION_END whose ``arg`` bit 0 is
  the ellipsis), NOOP (an alias of another index).
* ``_globals``: pairs ``(b"<word>name", value)``: functions (DLOPEN_FUNC,
  ``arg`` the FUNCTION index), variables (GLOBAL_VAR), integer constants
  (CONSTANT_INT, ``value``), enumerators (ENUM, ``value``), other constants
  read from the library (DLOPEN_CONST).
* ``_struct_unions``: tuples ``(b"<type index><flags>name", fields...)``,
  a field ``b"<word>name"`` with a NOOP (``arg`` its type) or a BITFIELD
  word followed by the width; names beginning with ``$`` are anonymous.
* ``_enums``: ``b"<type index><primitive>name\\0A,B,C"``.
* ``_typenames``: ``b"<type index>name"``.
"""

import struct as _struct

OP_PRIMITIVE = 1
OP_POINTER = 3
OP_ARRAY = 5
OP_OPEN_ARRAY = 7
OP_STRUCT_UNION = 9
OP_ENUM = 11
OP_FUNCTION = 13
OP_FUNCTION_END = 15
OP_NOOP = 17
OP_BITFIELD = 19
OP_CONSTANT = 29
OP_CONSTANT_INT = 31
OP_GLOBAL_VAR = 33
OP_DLOPEN_FUNC = 35
OP_DLOPEN_CONST = 37

F_UNION = 0x01
F_PACKED = 0x04
F_EXTERNAL = 0x08
F_OPAQUE = 0x10

# parse_c_type.h's _CFFI_PRIM_* numbers, in order.
PRIMITIVES = (
    "void", "_Bool", "char", "signed char", "unsigned char", "short", "unsigned short", "int",
    "unsigned int", "long", "unsigned long", "long long", "unsigned long long", "float", "double",
    "long double", "wchar_t", "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t",
    "int64_t", "uint64_t", "intptr_t", "uintptr_t", "ptrdiff_t", "size_t", "ssize_t",
    "int_least8_t", "uint_least8_t", "int_least16_t", "uint_least16_t", "int_least32_t",
    "uint_least32_t", "int_least64_t", "uint_least64_t", "int_fast8_t", "uint_fast8_t",
    "int_fast16_t", "uint_fast16_t", "int_fast32_t", "uint_fast32_t", "int_fast64_t",
    "uint_fast64_t", "intmax_t", "uintmax_t", "float _Complex", "double _Complex", "char16_t",
    "char32_t",
)

SUPPORTED_VERSIONS = range(0x2601, 0x2900)


def _word(b, i=0):
    (w,) = _struct.unpack_from(">I", b, i)
    op = w & 0xFF
    arg = w >> 8
    if arg >= 1 << 23:
        arg -= 1 << 24
    return op, arg


class _Tables:
    def __init__(self, types, struct_unions, enums, typenames):
        if len(types) % 4:
            raise ValueError("_types: length %d is not a multiple of 4" % len(types))
        self.raw = types
        self.ops = [_word(types, i) for i in range(0, len(types), 4)]
        self.structs = []
        for entry in struct_unions:
            head = entry[0]
            (tindex,) = _struct.unpack_from(">I", head, 0)
            (flags,) = _struct.unpack_from(">I", head, 4)
            name = head[8:].decode()
            fields = []
            for f in entry[1:]:
                op, arg = _word(f)
                if op == OP_BITFIELD:
                    (bits,) = _struct.unpack_from(">I", f, 4)
                    fields.append((f[8:].decode(), arg, bits))
                elif op == OP_NOOP:
                    fields.append((f[4:].decode(), arg, -1))
                else:
                    raise ValueError("_struct_unions: field opcode %d" % op)
            self.structs.append((name, tindex, flags, fields))
        self.enums = []
        for e in enums:
            (tindex,) = _struct.unpack_from(">I", e, 0)
            (prim,) = _struct.unpack_from(">I", e, 4)
            name, _, members = e[8:].partition(b"\0")
            self.enums.append((name.decode(), tindex, prim, [m for m in members.decode().split(",") if m]))
        self.typenames = []
        for t in typenames:
            (tindex,) = _struct.unpack_from(">I", t, 0)
            self.typenames.append((t[4:].decode(), tindex))
        # anonymous structs/enums named by a typedef: spelled by that name
        self.alias = {}
        for name, tindex in self.typenames:
            op, arg = self.ops[tindex]
            if op == OP_STRUCT_UNION and self.structs[arg][0] == "$" + name:
                self.alias[("s", arg)] = name
            elif op == OP_ENUM and self.enums[arg][0] == "$" + name:
                self.alias[("e", arg)] = name

    def length_at(self, i):
        (n,) = _struct.unpack_from(">I", self.raw, 4 * i)
        return n

    def record_name(self, si):
        name, _, flags, _ = self.structs[si]
        if ("s", si) in self.alias:
            return self.alias[("s", si)]
        if name.startswith("$"):
            return "%s __abicall_anon_%s" % ("union" if flags & F_UNION else "struct", name[1:])
        return "%s %s" % ("union" if flags & F_UNION else "struct", name)

    def enum_name(self, ei):
        name = self.enums[ei][0]
        if ("e", ei) in self.alias:
            return self.alias[("e", ei)]
        if name.startswith("$"):
            return "enum __abicall_anon_%s" % name[1:]
        return "enum " + name

    def decl(self, i, inner=""):
        """C spelling of the type at index ``i`` around declarator ``inner``."""
        op, arg = self.ops[i]
        if op == OP_NOOP:
            return self.decl(arg, inner)
        if op == OP_PRIMITIVE:
            if not 0 <= arg < len(PRIMITIVES):
                raise ValueError("_types: unknown primitive %d" % arg)
            return _join(PRIMITIVES[arg], inner)
        if op == OP_POINTER:
            star = "*" + inner
            pop = self.ops[arg][0]
            while pop == OP_NOOP:
                pop = self.ops[self.ops[arg][1]][0]
            if pop in (OP_ARRAY, OP_OPEN_ARRAY, OP_FUNCTION):
                star = "(%s)" % star
            return self.decl(arg, star)
        if op == OP_ARRAY:
            return self.decl(arg, "%s[%d]" % (inner, self.length_at(i + 1)))
        if op == OP_OPEN_ARRAY:
            return self.decl(arg, "%s[]" % inner)
        if op == OP_STRUCT_UNION:
            return _join(self.record_name(arg), inner)
        if op == OP_ENUM:
            return _join(self.enum_name(arg), inner)
        if op == OP_FUNCTION:
            params, variadic = self.params(i)
            plist = ", ".join(self.decl(p) for p in params)
            if variadic:
                plist = plist + ", ..." if plist else "..."
            elif not plist:
                plist = "void"
            return self.decl(arg, "%s(%s)" % (inner, plist))
        raise ValueError("_types: unexpected opcode %d at %d" % (op, i))

    def params(self, i):
        out = []
        j = i + 1
        while True:
            op, arg = self.ops[j]
            if op == OP_FUNCTION_END:
                return out, bool(arg & 1)
            out.append(j)
            j += 1


def _join(base, inner):
    if not inner:
        return base
    if inner[0] in "[(":
        return base + inner
    return base + " " + inner


def _record_deps(t, si):
    """Struct indexes a struct contains by value (directly or in arrays)."""
    deps = []
    for _, ti, _ in t.structs[si][3]:
        op, arg = t.ops[ti]
        while op in (OP_NOOP, OP_ARRAY):
            op, arg = t.ops[arg]
        if op == OP_STRUCT_UNION:
            deps.append(arg)
    return deps


def declarations(types=b"", globals_=(), struct_unions=(), enums=(), typenames=()):
    """C declarations equivalent to the tables of an out-of-line module."""
    t = _Tables(types, struct_unions, enums, typenames)
    out = []
    # enums first (with the values of their enumerators, from _globals)
    values = {}
    for k in range(0, len(globals_), 2):
        op, arg = _word(globals_[k])
        if op == OP_ENUM:
            values[globals_[k][4:].decode()] = globals_[k + 1]
    for ei, (name, _, _, members) in enumerate(t.enums):
        body = ", ".join("%s = %d" % (m, values[m]) if m in values else m for m in members)
        if ("e", ei) in t.alias:
            out.append("typedef enum { %s } %s;" % (body, t.alias[("e", ei)]))
        else:
            out.append("%s { %s };" % (t.enum_name(ei), body))
    # every named struct/union declared, then defined in dependency order
    for si, (name, _, flags, _) in enumerate(t.structs):
        if ("s", si) in t.alias:
            continue
        if flags & F_OPAQUE or not name.startswith("$"):
            out.append("%s;" % t.record_name(si))
    done = set()

    def define(si, stack=()):
        if si in done or si in stack:
            return
        name, _, flags, fields = t.structs[si]
        if flags & (F_OPAQUE | F_EXTERNAL):
            done.add(si)
            return
        for d in _record_deps(t, si):
            define(d, stack + (si,))
        members = []
        for fname, ti, bits in fields:
            d = t.decl(ti, fname)
            members.append("%s : %d;" % (d, bits) if bits >= 0 else d + ";")
        kw = "union" if flags & F_UNION else "struct"
        packed = " __attribute__((packed))" if flags & F_PACKED else ""
        body = " ".join(members)
        if ("s", si) in t.alias:
            if flags & F_OPAQUE:
                out.append("typedef ... %s;" % t.alias[("s", si)])
            else:
                out.append("typedef %s%s { %s } %s;" % (kw, packed, body, t.alias[("s", si)]))
        else:
            out.append("%s%s %s { %s };" % (kw, packed, t.record_name(si).split(" ", 1)[1], body))
        done.add(si)

    for si in range(len(t.structs)):
        name, _, flags, _ = t.structs[si]
        if ("s", si) in t.alias and flags & F_OPAQUE:
            out.append("typedef ... %s;" % t.alias[("s", si)])
            done.add(si)
    for si in range(len(t.structs)):
        define(si)
    for name, ti in t.typenames:
        op, arg = t.ops[ti]
        if (op == OP_STRUCT_UNION and ("s", arg) in t.alias and t.alias[("s", arg)] == name) or (
            op == OP_ENUM and ("e", arg) in t.alias and t.alias[("e", arg)] == name
        ):
            continue
        out.append("typedef %s;" % t.decl(ti, name))
    for k in range(0, len(globals_), 2):
        op, arg = _word(globals_[k])
        name = globals_[k][4:].decode()
        if op == OP_DLOPEN_FUNC:
            out.append("%s;" % t.decl(arg, name))
        elif op == OP_GLOBAL_VAR:
            out.append("extern %s;" % t.decl(arg, name))
        elif op == OP_DLOPEN_CONST:
            out.append("extern const %s;" % t.decl(arg, name))
        elif op == OP_CONSTANT_INT:
            out.append("#define %s %d\n" % (name, globals_[k + 1]))
        elif op == OP_ENUM:
            pass
        else:
            raise ValueError("_globals: unsupported entry %r (opcode %d)" % (name, op))
    return "\n".join(out) + "\n"
