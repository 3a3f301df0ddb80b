"""The cffi ABI-mode surface on top of the native module ``abicall._abicall``.

Layout, calls and callbacks are done by the Rust engine; this module keeps
cffi's object model: ``CType`` objects interned (shared by every ``FFI``
when made only of predefined types, else per ``FFI``), ``CData``
objects holding (ctype, address, owner), and cffi's conversion rules and
exceptions.
"""

import sys
import weakref

from . import _abicall as _C
from ._abicall import CDefError, FFIError

PRIMITIVE, POINTER, ARRAY, STRUCT, UNION, ENUM, FUNCTION, VOID = range(8)
_KIND_NAMES = ("primitive", "pointer", "array", "struct", "union", "enum", "function", "void", "vector")
# Scalar codes (bindings/python/src/scalar.rs).
C_BOOL, C_CHAR = 1, 2
C_SIGNED = {3, 5, 7, 9, 11}
C_FLOATS = {13, 14, 15}
C_COMPLEX = {17, 18}
C_PTR = 16
C_LDOUBLE = 15  # long double (x87 80-bit on x86_64): kept as a cdata, as in cffi
_INT_BITS = {3: 8, 4: 8, 5: 16, 6: 16, 7: 32, 8: 32, 9: 64, 10: 64, 11: 128, 12: 128, 1: 8, 2: 8}

# wchar_t, char16_t and char32_t are declared as enums with a fixed
# underlying type, so they get type ids of their own (the engine's builtin
# typedefs are plain integers) and read as 1-character strings, as in cffi.
_WCHAR_TAGS = {"enum __abicall_wchar_t": "wchar_t", "enum __abicall_char16_t": "char16_t",
               "enum __abicall_char32_t": "char32_t"}
# FILE is an opaque struct of its own, spelled "FILE" as in cffi.
_OTHER_TAGS = {"struct __abicall_FILE": "FILE"}
_OPAQUE_PREFIX = "struct __abicall_opaque_"


# cffi keeps struct and union tags apart (C has one tag namespace, so
# `struct foo` and `union foo` cannot both be declared there): union tags
# are given to the engine with this prefix, and shown without it.
_UNION_PREFIX = "__abicall_u_"
_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int "
    "long register restrict return short signed sizeof static struct switch typedef union unsigned void "
    "volatile while _Bool _Complex _Alignas _Atomic __int128 __attribute__ __attribute __declspec "
    "__restrict __restrict__ __const __volatile__ __extension__".split())


def _union_tags(text):
    """``union foo`` -> ``union __abicall_u_foo`` (see ``_UNION_PREFIX``),
    also past attributes (``union __attribute__((packed)) foo``)."""
    if "union" not in text:
        return text
    import re

    out = []
    last = 0
    n = len(text)
    for m in re.finditer(r"\bunion\b", text):
        i = m.end()
        while True:
            while i < n and text[i].isspace():
                i += 1
            a = re.match(r"__attribute__|__attribute\b|__declspec", text[i:])
            if not a:
                break
            i += a.end()
            while i < n and text[i].isspace():
                i += 1
            depth = 0
            while i < n:  # the balanced parentheses of the attribute
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
                if depth == 0:
                    break
        t = re.match(r"[A-Za-z_$][\w$]*", text[i:])
        if t and t.group(0) not in _C_KEYWORDS and not t.group(0).startswith(_UNION_PREFIX):
            out.append(text[last:i])
            out.append(_UNION_PREFIX)
            last = i
    out.append(text[last:])
    return "".join(out)


def _union_unmangle(msg, text):
    """An engine error ``LINE:COL: ...`` about ``text`` (given with
    ``_union_tags``) with union tags and the column as the user wrote them."""
    if _UNION_PREFIX not in text:
        return msg
    import re

    m = re.match(r"(\d+):(\d+): (.*)", msg, re.S)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        lines = text.split("\n")
        if 1 <= line <= len(lines):
            col -= len(_UNION_PREFIX) * lines[line - 1][: col - 1].count(_UNION_PREFIX)
        msg = "%d:%d: %s" % (line, col, m.group(3))
    return msg.replace(_UNION_PREFIX, "")


def _clean_cname(s):
    if "__abicall_" in s:
        s = s.replace(_UNION_PREFIX, "")
        for tag, name in _WCHAR_TAGS.items():
            s = s.replace(tag, name)
        for tag, name in _OTHER_TAGS.items():
            s = s.replace(tag, name)
        if _OPAQUE_PREFIX in s or "__abicall_anon_" in s:
            import re

            s = re.sub(r"struct __abicall_opaque_(\w+)", r"\1", s)
            # an unnamed struct of an out-of-line module: cffi's "$N"
            s = re.sub(r"(struct|union|enum) __abicall_anon_(\w+)", r"\1 $\2", s)
    return s


class CField:
    """A struct/union member as cffi describes it."""

    __slots__ = ("name", "type", "offset", "bitshift", "bitsize", "flags")

    def __init__(self, name, type, offset, bitshift, bitsize):
        self.name = name
        self.type = type
        self.offset = offset
        self.bitshift = bitshift
        self.bitsize = bitsize
        self.flags = 0

    def __repr__(self):
        return "<CField %r of type %r at offset %d>" % (self.name, self.type, self.offset)


class CType(_C.CTypeBase):
    """A C type (cffi's ``ffi.typeof`` result), interned: one object per
    type in the process for the types made only of predefined ones
    (``int *``, ``FILE *``, ``double(*)(double)``: see ``_shared_ctype``),
    else one per type and ``FFI``. Its ``_tid`` is an id in ``_ffi._ctx``."""

    def __init__(self, ctx, tid, ffi):
        kind, code, size, align, item, length, cname, _ik, _is = ctx.describe(tid)
        self._ffi = ffi
        self._item_ct = None
        self._rawname = cname  # the engine's spelling, parseable in any FFI
        self._wchar = kind == ENUM and cname in _WCHAR_TAGS
        if self._wchar:
            kind = PRIMITIVE
        elif kind == POINTER and _ik == FUNCTION:
            kind = FUNCTION  # cffi: a function pointer ctype has kind 'function'
        self.kind = _KIND_NAMES[kind]
        self.cname = _clean_cname(cname)
        # `long double _Complex`: two long doubles, kept as a cdata
        self._ldc = kind == PRIMITIVE and code == 0 and cname == "long double _Complex"
        self._length = length
        item_ct = ffi._ctype(item) if item >= 0 else None
        if kind == FUNCTION:
            # the function type identifies a function pointer (kept alive here)
            self._item_ct = item_ct
            self._set_info(None, self._wchar, item_ct)
        else:
            self._set_info(item_ct, self._wchar)
        self._fieldmap = None
        self._fieldlist = None
        self._sig = None

    def __repr__(self):
        return "<ctype '%s'>" % self.cname

    # --- cffi's introspection attributes -------------------------------
    @property
    def item(self):
        if self._item < 0:
            raise AttributeError("ctype '%s' has no attribute 'item'" % self.cname)
        if self._item_ct is None:
            self._item_ct = self._ffi._ctype(self._item)
        return self._item_ct

    @property
    def length(self):
        if self._kind != ARRAY:
            raise AttributeError("ctype '%s' has no attribute 'length'" % self.cname)
        return None if self._length < 0 else self._length

    @property
    def fields(self):
        if self._kind not in (STRUCT, UNION):
            raise AttributeError("ctype '%s' has no attribute 'fields'" % self.cname)
        if self._ffi._ctx.fields(self._tid) is None:
            return None
        self._fields()
        return self._fieldlist

    @property
    def args(self):
        return self._fsig()[1]

    @property
    def result(self):
        return self._fsig()[0]

    @property
    def ellipsis(self):
        return self._fsig()[2]

    @property
    def abi(self):
        self._fsig()
        return 0

    def _fsig(self):
        if self._kind == POINTER and self._item_kind == FUNCTION:
            return self.item._signature()
        return self._signature()

    @property
    def elements(self):
        if self._kind != ENUM or self._wchar:
            raise AttributeError("ctype '%s' has no attribute 'elements'" % self.cname)
        # with duplicate values, the first name wins (as in cffi)
        return {v: n for n, v in reversed(self._ffi._ctx.enumerators(self._tid))}

    @property
    def relements(self):
        if self._kind != ENUM or self._wchar:
            raise AttributeError("ctype '%s' has no attribute 'relements'" % self.cname)
        return {n: v for n, v in self._ffi._ctx.enumerators(self._tid)}

    # --- internals ------------------------------------------------------
    def _signature(self):
        if self._sig is None:
            sig = self._ffi._ctx.signature(self._tid) if self._kind == FUNCTION else None
            if sig is None:
                raise AttributeError("ctype '%s' has no attribute 'args'" % self.cname)
            ret, params, variadic = sig
            ffi = self._ffi
            self._sig = (ffi._ctype(ret), tuple(ffi._ctype(p) for p in params), variadic)
        return self._sig

    def _fields(self):
        """name -> (offset, CType, bitshift, bitsize), looking through anonymous members."""
        if self._fieldmap is None:
            raw = self._ffi._ctx.fields(self._tid)
            if raw is None:
                raise FFIError("'%s' is opaque or incomplete" % self.cname)
            fmap = {}
            flist = []
            order = []  # positional initializers, anonymous members flattened (as in cffi)
            for name, tid, off, bshift, bsize in raw:
                ct = self._ffi._ctype(tid)
                # cffi's flag 1: not filled by a positional initializer (a
                # union member after the first)
                flag = 1 if self._kind == UNION and flist else 0
                if name is None:
                    if bsize >= 0:
                        continue
                    for sub, (o, t, bs, bz) in ct._fields().items():
                        fmap[sub] = (off + o, t, bs, bz)
                    if not flag:
                        order.extend(ct._init_order)
                    for sub, f in ct.fields:
                        cf = CField(sub, f.type, off + f.offset, f.bitshift, f.bitsize)
                        cf.flags = f.flags | flag
                        flist.append((sub, cf))
                    continue
                if not flag:
                    order.append(name)
                fmap[name] = (off, ct, bshift, bsize)
                coff, cshift = off, bshift
                if bsize >= 0 and ct._size > 0:
                    # cffi reports a bitfield by its storage unit (a
                    # type-sized, type-aligned word) and the shift in it.
                    pos = off * 8 + bshift
                    unit = (pos // (ct._size * 8)) * ct._size
                    if pos - unit * 8 + bsize <= ct._size * 8:
                        coff, cshift = unit, pos - unit * 8
                cf = CField(name, ct, coff, cshift, bsize)
                cf.flags = flag
                flist.append((name, cf))
            self._fieldmap = fmap
            self._fieldlist = flist
            self._init_order = order
            self._set_fields(fmap, order)
        return self._fieldmap


_SHARED_FFI = None
_SHARED_CTYPES = weakref.WeakValueDictionary()  # engine spelling -> CType


def _shared_ctype(rawname):
    """The process-wide ctype of a type made only of predefined types, as
    cffi shares them (``FFI().typeof("int *") is FFI().typeof("int *")``).
    They belong to a hidden FFI without declarations, which holds them
    weakly: an unused one is freed, as in cffi."""
    ct = _SHARED_CTYPES.get(rawname)
    if ct is None:
        global _SHARED_FFI
        if _SHARED_FFI is None:
            sh = object.__new__(_FFIBase)
            sh._shared = True
            sh._setup()
            _SHARED_FFI = sh
        sh = _SHARED_FFI
        ct = sh._ctype(sh._ctx.parse_type(rawname))
        _SHARED_CTYPES[rawname] = ct
    return ct


def _pointer_ct(ct):
    """``T *`` for the ctype ``T`` (made where ``T`` was)."""
    ffi = ct._ffi
    return ffi._ctype(ffi._ctx.pointer_to(ct._tid))


def _open_array_ct(ct):
    """``T[]`` for the pointer or array ctype ``ct`` of items ``T``."""
    ffi = ct._ffi
    return ffi._ctype(ffi._ctx.array_of(ct._item, None))


_PREDEFINED_TYPEDEF = None
_PREDEFINED = ("wchar_t", "char16_t", "char32_t", "FILE", "bool")


def _rename_predefined_typedefs(text, renames):
    """A text that declares ``typedef ... wchar_t;`` (or char16_t,
    char32_t, FILE, bool) gets its own type under that name, as in cffi:
    the name is renamed ``__abicall_user_<name>`` in the text (typedef and
    uses), here and in every later text (``renames``); ``cdef`` then
    points the name at it. Returns (text, newly renamed names)."""
    import re

    global _PREDEFINED_TYPEDEF
    if not any(n in text for n in _PREDEFINED):
        return text, ()
    if _PREDEFINED_TYPEDEF is None:
        _PREDEFINED_TYPEDEF = {
            n: re.compile(r"\btypedef\b[^;{}()]*?[\s*,]%s\s*[;,]" % n) for n in _PREDEFINED
        }
    names = [n for n in _PREDEFINED if n not in renames and n in text and _PREDEFINED_TYPEDEF[n].search(text)]
    all_renames = dict(renames)
    for name in names:
        all_renames[name] = "__abicall_user_" + name
    return _apply_renames(text, all_renames), names


def _apply_renames(text, renames):
    import re

    for name, new in renames.items():
        if name in text:
            text = re.sub(r"\b%s\b" % name, new, text)
    return text


def _cffi_refusals(text, bodiless_enums):
    """What cffi's cdef refuses although the abicall parser accepts it (C
    that is no declaration, or that cffi cannot model): function bodies,
    ``f(...)``, string ``#define``s, an enum defined after its first use.
    Raises cffi's exception and message; ``bodiless_enums`` collects the
    enum tags used without a body (over every cdef of an FFI)."""
    import re

    def line_of(pos):
        return text.count("\n", 0, pos) + 1

    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+(\"[^\n]*)$", text, re.M):
        raise CDefError(
            "only supports one of the following syntax:\n"
            "  #define %s ...     (literally dot-dot-dot)\n"
            "  #define %s NUMBER  (with NUMBER an integer constant, decimal/hex/octal)\n"
            "got:\n"
            "  #define %s %s" % (m.group(1), m.group(1), m.group(1), m.group(2).strip())
        )
    code = re.sub(r"^[ \t]*#[^\n]*$", lambda m: " " * len(m.group(0)), text, flags=re.M)
    for m in re.finditer(r"(\w+)\s*\(\s*\.\.\.\s*\)", code):
        if m.group(1) not in ("__attribute__", "__declspec", "sizeof"):
            raise CDefError("<cdef source string>:%d: %s: a function with only '(...)' as argument is not correct C"
                            % (line_of(m.start()), m.group(1)))
    for m in re.finditer(r"\)\s*\{", code):
        # a `)` followed by `{`: a function body unless the parentheses are
        # an attribute's (`struct __attribute__((packed)) {`)
        depth, i = 0, m.start()
        while i >= 0:
            c = code[i]
            if c == ")":
                depth += 1
            elif c == "(":
                depth -= 1
                if depth == 0:
                    break
            i -= 1
        before = re.search(r"(\w+)\s*\(*\s*$", code[:max(i, 0)])
        if before and before.group(1) in ("__attribute__", "__declspec", "_Alignas", "alignas", "__aligned__"):
            continue
        raise CDefError("<cdef source string>:%d: unexpected <FuncDef>: this construct is valid C but not valid in cdef()"
                        % line_of(m.start()))
    for m in re.finditer(r"\benum\s+(\w+)\s*(\{|:)?", code):
        tag, body = m.group(1), m.group(2)
        if body:
            if tag in bodiless_enums:
                raise NotImplementedError("enum %s: the '{}' declaration should appear on the first time "
                                          "the enum is mentioned, not later" % tag)
        else:
            bodiless_enums.add(tag)


_CFFI_SYNTAX = None


def _cffi_syntax(text):
    """cffi's additions to C, in terms of C: ``__stdcall``, ``__cdecl`` and
    ``WINAPI`` are blanked (they mean nothing on these targets, as in
    cffi); ``typedef ... T;`` declares an opaque struct type spelled ``T``;
    ``...`` closing an enumerator list is dropped. Line and column numbers
    are kept."""
    import re

    global _CFFI_SYNTAX
    if _CFFI_SYNTAX is None:
        _CFFI_SYNTAX = (
            re.compile(r"\b(__stdcall|__cdecl|WINAPI)\b"),
            re.compile(r"\btypedef(\s+)\.\.\.(\s+)(\w+)(\s*);"),
            re.compile(r",(\s*)\.\.\.(\s*)\}"),
        )
    conv, opaque, enum_dots = _CFFI_SYNTAX
    if "__stdcall" in text or "__cdecl" in text or "WINAPI" in text:
        text = conv.sub(lambda m: " " * len(m.group(0)), text)
    if "..." in text:
        text = opaque.sub(lambda m: "typedef%s%s%sstruct __abicall_opaque_%s %s%s;"
                          % (m.group(1), "", m.group(2), m.group(3), m.group(3), m.group(4)), text)
        text = enum_dots.sub(lambda m: " %s   %s}" % (m.group(1), m.group(2)), text)
    return text


_CDEF_SOURCE = "<cdef source string>"


def _cdef_error_text(source, msg, shift):
    """A cdef error as cffi words it: ``cannot parse "<the line>"`` and
    ``<cdef source string>:LINE:COL: <abicall's message>``, or ``parse
    error`` and ``FILE:LINE:COL: ...`` after a ``# LINE "FILE"`` marker
    (as pycparser counts lines); K&R-style parameters get cffi's text.
    ``shift`` lines were added in front of ``source`` (``#pragma pack``)."""
    import re

    m = re.match(r"(\d+):(\d+): (.*)", msg, re.S)
    if not m:
        return msg
    line, col, text = int(m.group(1)) - shift, int(m.group(2)), m.group(3)
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return "%s:%d:%d: %s" % (_CDEF_SOURCE, line, col, text)
    fname, shown = _CDEF_SOURCE, line
    for i in range(line - 2, -1, -1):
        mark = re.match(r'\s*#\s*(?:line\s+)?(\d+)\s+"([^"]*)"', lines[i])
        if mark:
            # the line after the marker is line N of FILE
            fname, shown = mark.group(2), int(mark.group(1)) + (line - (i + 1) - 1)
            break
    src = lines[line - 1]
    if text.startswith("K&R-style parameter lists"):
        # cffi: "<file>:LINE: f arg N: unknown type 'name' (...)"
        head = src[: col - 1]
        name = re.match(r"\w+", src[col - 1:])
        fn = re.search(r"(\w+)\s*\(([^()]*)$", head)
        if name and fn:
            return ("%s:%d: %s arg %d: unknown type '%s' (if you meant to use the old C syntax of giving "
                    "untyped arguments, it is not supported)"
                    % (fname, shown, fn.group(1), fn.group(2).count(",") + 1, name.group(0)))
    if fname == _CDEF_SOURCE and src.strip():
        return 'cannot parse "%s"\n%s:%d:%d: %s' % (src.strip(), fname, shown, col, text)
    return "parse error\n%s:%d:%d: %s" % (fname, shown, col, text)


def _cast_owner(source):
    """What a cast of ``source`` keeps alive: its memory, but not an
    ``ffi.gc`` destructor (that runs when the gc'd object dies, as in cffi)."""
    o = source._owner
    while isinstance(o, _Gc):
        o = o.inner
    return o


def _is_cdata(x):
    return isinstance(x, _C.CDataBase)


def _index(i):
    """An index as an int (TypeError for other types, as cffi)."""
    import operator

    return operator.index(i)


class _Sliced:
    """Owner of a slice of an array: keeps the array alive, marks the repr."""

    __slots__ = ("src",)

    def __init__(self, src):
        self.src = src


class _CDataMixin:
    """cffi's cdata behaviour, shared by plain cdata, functions and callbacks."""

    __slots__ = ()

    # --- description ------------------------------------------------------
    def __repr__(self):
        ct = self._ctype
        k = ct._kind
        if isinstance(self, _C.Callback):
            return "<cdata '%s' calling %r>" % (ct.cname, self._callable)
        if self._owned and k in (POINTER, ARRAY, STRUCT, UNION):
            return "<cdata '%s' owning %d bytes>" % (ct.cname, self._owned)
        if k == ARRAY and isinstance(self._owner, _Sliced):
            return "<cdata '%s' sliced length %d>" % (ct.cname, self._len())
        if k == ARRAY and self._length == 0 and ct._length < 0 and type(self._owner) is _C.Block:
            return "<cdata '%s' owning 0 bytes>" % ct.cname  # ffi.new("T[]", 0)
        if k in (PRIMITIVE, ENUM):
            v = self._value()
            if ct._wchar:
                return "<cdata '%s' %r>" % (ct.cname, chr(v))
            if ct._code == 15:
                return "<cdata '%s' %E>" % (ct.cname, v)
            if k == ENUM:
                names = ct.elements
                return "<cdata '%s' %d: %s>" % (ct.cname, v, names[v]) if v in names else "<cdata '%s' %d>" % (ct.cname, v)
            return "<cdata '%s' %r>" % (ct.cname, v)
        if k in (STRUCT, UNION):
            return "<cdata '%s &' 0x%x>" % (ct.cname, self._addr)
        if k == ARRAY and isinstance(self._owner, _C.PinnedBuffer):
            return "<cdata '%s' buffer len %d>" % (ct.cname, self._len())
        if self._addr == 0:
            return "<cdata '%s' NULL>" % ct.cname
        return "<cdata '%s' 0x%x>" % (ct.cname, self._addr)

    def __dir__(self):
        ct = self._ctype
        if ct._kind in (STRUCT, UNION):
            return list(ct._fields())
        if ct._kind == POINTER and ct._item_kind in (STRUCT, UNION):
            return list(ct.item._fields())
        return []

    # --- scalar value -----------------------------------------------------
    def _value(self):
        ct = self._ctype
        if ct._ldc:
            return complex(_C.read(C_LDOUBLE, self._addr), _C.read(C_LDOUBLE, self._addr + 16))
        return _C.read(ct._code, self._addr)

    def _number(self, op):
        ct = self._ctype
        k = ct._kind
        if k in (PRIMITIVE, ENUM):
            v = self._value()
            if ct._code == C_CHAR:
                return v[0]
            return v
        raise TypeError("%s() not supported on cdata '%s'" % (op, ct.cname))

    def __int__(self):
        v = self._number("int")
        if isinstance(v, float):
            return int(v)
        return int(v)

    def __index__(self):
        ct = self._ctype
        if ct._kind in (PRIMITIVE, ENUM) and ct._code not in C_FLOATS and ct._code not in C_COMPLEX:
            return int(self._number("index"))
        raise TypeError("cdata '%s' cannot be interpreted as an integer" % ct.cname)

    def __float__(self):
        ct = self._ctype
        if ct._kind == PRIMITIVE and (ct._code in C_FLOATS):
            return float(self._value())
        raise TypeError("float() not supported on cdata '%s'" % ct.cname)

    def __complex__(self):
        ct = self._ctype
        if ct._kind == PRIMITIVE and (ct._code in C_FLOATS or ct._code in C_COMPLEX or ct._ldc):
            return complex(self._value())
        raise TypeError("complex() not supported on cdata '%s'" % ct.cname)

    def __bool__(self):
        ct = self._ctype
        k = ct._kind
        if k in (PRIMITIVE, ENUM):
            v = self._value()
            if ct._code == C_CHAR:
                return v != b"\0"
            return bool(v)
        if k in (POINTER, FUNCTION):
            return self._addr != 0
        return True

    # --- comparison -------------------------------------------------------
    def _cmpkey(self, other):
        """(a, b) to compare, or None if not comparable."""
        ct = self._ctype
        if ct._kind in (PRIMITIVE, ENUM):
            a = self._value()
            if _is_cdata(other):
                oct_ = other._ctype
                if oct_._kind in (PRIMITIVE, ENUM):
                    return a, other._value()
                return None
            return a, other
        if _is_cdata(other) and other._ctype._kind not in (PRIMITIVE, ENUM):
            return self._addr, other._addr
        return None

    def __eq__(self, other):
        k = self._cmpkey(other)
        if k is None:
            return NotImplemented if not _is_cdata(other) else False
        return k[0] == k[1]

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def _order(self, other, op):
        k = self._cmpkey(other)
        if k is None:
            return NotImplemented
        return op(k[0], k[1])

    def __lt__(self, other):
        return self._order(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._order(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._order(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._order(other, lambda a, b: a >= b)

    def __hash__(self):
        ct = self._ctype
        if ct._kind in (PRIMITIVE, ENUM):
            return hash(self._value())
        return hash(self._addr)

    # --- arrays and pointers ----------------------------------------------
    def _len(self):
        ct = self._ctype
        if ct._kind != ARRAY:
            raise TypeError("cdata of type '%s' has no len()" % ct.cname)
        if self._length >= 0:
            return self._length
        return ct._length


    def _item_addr(self, i):
        ct = self._ctype
        k = ct._kind
        if k == ARRAY:
            n = self._len()
            if i < 0:
                raise IndexError("negative index")
            if i >= n:
                raise IndexError("index too large for cdata '%s' (expected %d < %d)" % (ct.cname, i, n))
        elif k == POINTER:
            if ct._item_kind in (VOID, FUNCTION):
                raise TypeError("cdata of type '%s' cannot be indexed" % ct.cname)
            if self._owned and i != 0:
                raise IndexError("cdata '%s' can only be indexed by 0" % ct.cname)
            if self._addr == 0:
                raise RuntimeError("cannot dereference null pointer from cdata '%s'" % ct.cname)
        else:
            raise TypeError("cdata of type '%s' cannot be indexed" % ct.cname)
        return self._addr + i * ct._item_size

    def _slice(self, s):
        ct = self._ctype
        if s.step is not None:
            raise ValueError("slice with step not supported")
        if s.start is None or s.stop is None:
            if ct._kind != ARRAY or s.start is not None and s.stop is None:
                raise IndexError("slice start and stop must be given")
        start = 0 if s.start is None else s.start
        stop = self._len() if s.stop is None else s.stop
        if start > stop:
            raise IndexError("slice start > stop")
        if ct._kind == ARRAY and stop > self._len():
            raise IndexError("index too large (expected %d <= %d)" % (stop, self._len()))
        ffi = ct._ffi
        arr_ct = ffi._ctype(ffi._ctx.array_of(ct._item, None))
        return CData(arr_ct, self._addr + start * ct._item_size, _Sliced(self), stop - start)

    def _getitem_slow(self, i):
        if isinstance(i, slice):
            return self._slice(i)
        ct = self._ctype
        addr = self._item_addr(_index(i))
        item = ct.item
        if i == 0 and ct._kind == POINTER and self._owned and item._kind in (STRUCT, UNION):
            return CData(item, addr, self._owner, -1, self._owned)
        return ct._ffi._read(item, addr, self)

    def _setitem_slow(self, i, value):
        ct = self._ctype
        if isinstance(i, slice):
            target = self._slice(i)
            values = list(value) if not isinstance(value, (bytes, str)) or ct.item._kind != PRIMITIVE else value
            if _is_cdata(value):
                n = target._len()
                if value._ctype._kind == ARRAY and len(value) != n:
                    raise ValueError("need %d items, got %d" % (n, len(value)))
                _C.memmove(target._addr, value._addr, n * ct._item_size)
                return
            if len(values) != target._len():
                raise ValueError("need %d items, got %d" % (target._len(), len(values)))
            for j, v in enumerate(values):
                target[j] = v
            return
        addr = self._item_addr(_index(i))
        ct._ffi._write(ct.item, addr, value)

    def __iter__(self):
        ct = self._ctype
        if ct._kind != ARRAY:
            raise TypeError("cdata '%s' does not support iteration" % ct.cname)
        return map(self.__getitem__, range(self._len()))

    def _pointer_step(self):
        ct = self._ctype
        if ct._kind == ARRAY:
            ffi = ct._ffi
            return ffi._ctype(ffi._ctx.pointer_to(ct._item)), ct._item_size
        if ct._kind == POINTER:
            if ct._item_kind == FUNCTION:
                raise TypeError("pointer arithmetic on a function pointer '%s'" % ct.cname)
            size = ct._item_size if ct._item_kind != VOID else 1
            if size < 0:
                raise TypeError("ctype '%s' points to items of unknown size" % ct.cname)
            return ct, size
        return None, 0

    def __add__(self, n):
        pct, size = self._pointer_step()
        if pct is None or not isinstance(n, int):
            return NotImplemented
        return CData(pct, (self._addr + n * size) & 0xFFFFFFFFFFFFFFFF, self._owner)

    __radd__ = __add__

    def __sub__(self, other):
        pct, size = self._pointer_step()
        if pct is None:
            return NotImplemented
        if isinstance(other, int):
            return CData(pct, (self._addr - other * size) & 0xFFFFFFFFFFFFFFFF, self._owner)
        if _is_cdata(other):
            opct, _ = other._pointer_step()
            if opct is None or opct._item != pct._item:
                raise TypeError("cannot subtract cdata '%s' and cdata '%s'" % (self._ctype.cname, other._ctype.cname))
            if size == 0:
                raise TypeError("cannot subtract pointers to zero-sized items")
            return (self._addr - other._addr) // size
        return NotImplemented

    # --- struct fields ----------------------------------------------------
    def _field(self, name):
        ct = self._ctype
        k = ct._kind
        if k in (STRUCT, UNION):
            base, rec = self._addr, ct
        elif k == POINTER and ct._item_kind in (STRUCT, UNION):
            if self._addr == 0:
                raise RuntimeError("cannot dereference null pointer from cdata '%s'" % ct.cname)
            base, rec = self._addr, ct.item
        else:
            raise AttributeError("cdata '%s' has no attribute '%s'" % (ct.cname, name))
        f = rec._fields().get(name)
        if f is None:
            raise AttributeError("cdata '%s' has no field '%s'" % (ct.cname, name))
        return base, f

    def _getattr_slow(self, name):
        base, (off, fct, bshift, bsize) = self._field(name)
        ffi = fct._ffi
        if bsize >= 0:
            return ffi._read_bits(fct, base + off, bshift, bsize)
        if fct._kind == ARRAY and fct._length == 0:
            return CData(ffi._ctype(ffi._ctx.pointer_to(fct._item)), base + off, self)  # `T x[0]`, as in cffi
        if fct._kind == ARRAY and fct._length < 0:
            # A flexible array member: its length is known only for an
            # object allocated by ffi.new (as in cffi); else it is a pointer.
            if self._owned and fct._item_size > 0:
                return CData(fct, base + off, self, max(0, (self._owned - off) // fct._item_size))
            return CData(ffi._ctype(ffi._ctx.pointer_to(fct._item)), base + off, self)
        return ffi._read(fct, base + off, self)

    def _setattr_slow(self, name, value):
        base, (off, fct, bshift, bsize) = self._field(name)
        ffi = fct._ffi
        if bsize >= 0:
            ffi._write_bits(fct, base + off, bshift, bsize, value)
        else:
            ffi._write(fct, base + off, value)

    # --- context manager (ffi.release) --------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._ctype._ffi.release(self)
        return False




class CData(_CDataMixin, _C.CDataBase):
    """A C object or pointer (cffi's cdata)."""

    __slots__ = ()

    def __call__(self, *args):
        ct = self._ctype
        if ct._kind != POINTER or ct._item_kind != FUNCTION:
            raise TypeError("cdata '%s' is not callable" % ct.cname)
        if self._addr == 0:
            raise FFIError("cannot call NULL function pointer '%s'" % ct.cname)
        return ct._ffi._function_at(ct, self._addr)(*args)


class _FuncCData(_CDataMixin, _C.Function):
    """A C function pointer callable from Python (library functions)."""

    __slots__ = ()


_C._install_call_slot(_FuncCData)
_vectorcall_enabled = False


class _CallbackCData(_CDataMixin, _C.Callback):
    """A C function pointer running a Python callable (``ffi.callback``)."""

    __slots__ = ()

    def __call__(self, *args):
        ct = self._ctype
        return ct._ffi._function_at(ct, self._addr)(*args)


_SENTINEL = object()
_new_owned = _C.new_owned
_cast_ptr = _C.cast_ptr
_write_init = _C.write_init


def _convert_arg_hook(ctype, value):
    return ctype._ffi._convert_arg(ctype, value)


_C._install(CData, _convert_arg_hook)


class _PlainCData(CData):
    """The cdata made natively that own nothing or only their bytes: not
    tracked by the cycle collector (their references cannot lead back to
    them), as cffi's plain cdata."""

    __slots__ = ()


_PlainCData.__name__ = _PlainCData.__qualname__ = "CData"
_C._install_plain(_PlainCData)
_C._install_ctype(CType)
for _cls in (_C.CDataBase, CData, _PlainCData, _FuncCData, _CallbackCData):
    _C._install_slots(_cls)  # cdata[key] and cdata.name without a type check (slots.rs)
del _cls


class _Gc:
    """Runs a destructor when the last cdata referring to it dies (``ffi.gc``)."""

    __slots__ = ("cdata", "destructor", "inner", "__weakref__")

    def __init__(self, cdata, destructor, inner):
        self.cdata = cdata
        self.destructor = destructor
        self.inner = inner

    def __del__(self):
        d, self.destructor = self.destructor, None
        if d is not None:
            d(self.cdata)


class Buffer(_C.RawBuffer):
    """``ffi.buffer``: raw bytes of C memory, sliceable and assignable, and
    a writable buffer-protocol object (``memoryview``, ``readinto``, ...)."""

    __slots__ = ()

    def __len__(self):
        return self._size

    def __bytes__(self):
        return _C.read_bytes(self._addr, self._size)

    def __repr__(self):
        return "<_cffi_backend.buffer object of %d bytes>" % self._size

    def _range(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self._size)
            if step != 1:
                raise ValueError("buffer slicing with a step is not supported")
            return start, max(start, stop)
        i = key.__index__()
        if i < 0:
            i += self._size
        if not 0 <= i < self._size:
            raise IndexError("buffer index out of range")
        return i, i + 1

    def __getitem__(self, key):
        a, b = self._range(key)
        return _C.read_bytes(self._addr + a, b - a)

    def __setitem__(self, key, value):
        a, b = self._range(key)
        data = bytes(value)
        if len(data) != b - a:
            raise ValueError("right operand length must match slice length")
        _C.write_bytes(self._addr + a, data)

    def _cmp_bytes(self, other):
        if isinstance(other, (Buffer, bytes, bytearray, memoryview)):
            return bytes(other)
        return None

    def __eq__(self, other):
        o = self._cmp_bytes(other)
        return NotImplemented if o is None else bytes(self) == o

    def __ne__(self, other):
        o = self._cmp_bytes(other)
        return NotImplemented if o is None else bytes(self) != o

    def __lt__(self, other):
        o = self._cmp_bytes(other)
        return NotImplemented if o is None else bytes(self) < o

    def __le__(self, other):
        o = self._cmp_bytes(other)
        return NotImplemented if o is None else bytes(self) <= o

    def __gt__(self, other):
        o = self._cmp_bytes(other)
        return NotImplemented if o is None else bytes(self) > o

    def __ge__(self, other):
        o = self._cmp_bytes(other)
        return NotImplemented if o is None else bytes(self) >= o

    __hash__ = None


class buffer(Buffer):
    """``ffi.buffer(cdata, size=-1)``: the raw bytes of a cdata, as a
    buffer object (``ffi.buffer`` is this type, as in cffi)."""

    __slots__ = ()

    def __new__(cls, cdata, size=-1):
        if not _is_cdata(cdata):
            raise TypeError("expected a cdata, got %s" % type(cdata).__name__)
        ct = cdata._ctype
        if ct._kind not in (POINTER, ARRAY):
            raise TypeError("expected a pointer or array cdata, got '%s'" % ct.cname)
        if size is None or size < 0:
            if ct._kind == ARRAY:
                size = cdata._len() * ct._item_size
            else:
                if ct._item_size < 0:
                    raise TypeError("ctype '%s' points to items of unknown size" % ct.cname)
                size = ct._item_size
        return Buffer.__new__(cls, cdata._addr, size, cdata)


class _HandleLibrary:
    """A library given as a handle from C's ``dlopen()``: symbols are
    looked up with ``dlsym`` (the handle stays the caller's to close)."""

    _dlsym = None

    def __init__(self, handle):
        self.handle = handle
        self.name = "<handle 0x%x>" % handle._addr
        if _HandleLibrary._dlsym is None:
            helper = _FFIBase()
            helper.cdef("void *dlsym(void *, const char *);")
            _HandleLibrary._dlsym = helper.dlopen(None).dlsym

    def symbol(self, name):
        p = _HandleLibrary._dlsym(self.handle, name.encode())
        return p._addr or None


_C_FILES = None


def _c_file(f):
    """A C ``FILE *`` (unbuffered, on a duplicate of ``f``'s descriptor)
    for a Python file object passed as a ``FILE *`` argument, as cffi
    does; made once per file object, closed when it dies. ``f`` is flushed
    first so its buffered output comes before C's."""
    global _C_FILES
    import os
    import weakref

    if _C_FILES is None:
        helper = _FFIBase()
        helper.cdef("void *fdopen(int, const char *); int setvbuf(void *, char *, int, size_t);"
                    "int fclose(void *); int fflush(void *);")
        _C_FILES = (weakref.WeakKeyDictionary(), helper.dlopen(None))
    files, libc = _C_FILES
    f.flush()
    fp = files.get(f)
    if fp is None:
        mode = getattr(f, "mode", "r+")
        cmode = b"a" if "a" in mode else b"w" if ("w" in mode or "+" in mode) else b"r"
        fd = os.dup(f.fileno())
        fp = libc.fdopen(fd, cmode)
        if not fp:
            os.close(fd)
            raise OSError("fdopen() failed for %r" % (f,))
        libc.setvbuf(fp, _FFIBase.NULL, 2, 0)  # _IONBF
        files[f] = fp
        weakref.finalize(f, libc.fclose, fp)
    return fp._addr


class Lib:
    """The result of ``ffi.dlopen``: functions, global variables and
    constants as attributes."""

    def __init__(self, ffi, library):
        object.__setattr__(self, "_ffi", ffi)
        object.__setattr__(self, "_library", library)

    def __repr__(self):
        return "<abicall.Lib object for '%s'>" % self._library.name

    def __dir__(self):
        return self._ffi._ctx.names()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if self.__dict__.get("_closed"):
            raise ValueError("library '%s' has already been closed" % self._library.name)
        ffi = self._ffi
        ctx = ffi._ctx
        c = ctx.constant(name)
        if c is not None:
            self.__dict__[name] = c
            return c
        fn = ctx.function(name)
        if fn is not None:
            tid, sym = fn
            addr = self._library.symbol(sym)
            if addr is None:
                raise ffi._symbol_error(
                    "function/symbol '%s' not found in library '%s'" % (sym, self._library.name)
                )
            fptr = ffi._ctype(ctx.pointer_to(tid))
            f = ffi._function(fptr, addr, name, self._library)
            self.__dict__[name] = f
            return f
        var = ctx.variable(name)
        if var is not None:
            ct, addr = self._var(var)
            if ct._kind == ARRAY and ct._length < 0:
                # `extern T x[];`: a `T *` to the array, as in cffi
                return CData(_pointer_ct(ct.item), addr, self._library)
            return ffi._read(ct, addr, self._library)
        raise AttributeError("cffi library '%s' has no function, constant or global variable named '%s'"
                             % (self._library.name, name))

    def _var(self, var):
        tid, sym = var
        addr = self._library.symbol(sym)
        if addr is None:
            raise self._ffi._symbol_error("global variable '%s' not found in library '%s'"
                                          % (sym, self._library.name))
        return self._ffi._ctype(tid), addr

    def __setattr__(self, name, value):
        if self.__dict__.get("_closed"):
            raise ValueError("library '%s' has already been closed" % self._library.name)
        var = self._ffi._ctx.variable(name)
        if var is None:
            raise AttributeError("cannot set '%s': not a global variable" % name)
        ct, addr = self._var(var)
        if ct._kind == ARRAY and ct._length < 0 and isinstance(value, (list, tuple)):
            # `extern T x[];` of unknown length: as many items as given (as cffi)
            self._ffi._write_array(ct, ct.item, addr, len(value), value)
            return
        self._ffi._write(ct, addr, value)


class _NullAttr:
    """``FFI.NULL``: on the class, a ``void *`` NULL of a shared FFI; on an
    instance, that instance's own (so its ctype is the instance's)."""

    def __get__(self, obj, cls=None):
        if obj is None:
            global _CLASS_NULL
            if _CLASS_NULL is None:
                _CLASS_NULL = _FFIBase().cast("void *", 0)
            return _CLASS_NULL
        return obj._null


_CLASS_NULL = None


class _FFIBase:
    """cffi's ``FFI`` in ABI mode (the state and methods of ``abicall.FFI``
    and of ``abicall.backend.FFI``)."""

    __slots__ = ("_ctx", "_by_id", "_by_name", "_sources", "_init_done", "_fptr_cache", "_init_lock",
                 "_null", "_libs", "_user_typedefs", "_renames", "_bodiless_enums", "_shared", "_local_tids",
                 "__weakref__")
    NULL = _NullAttr()
    _type_error = CDefError  # what a bad type string raises
    _symbol_error = AttributeError  # what a declared name missing from the library raises

    error = FFIError
    CData = _C.CDataBase  # every cdata (functions and callbacks included) is an instance
    CType = CType
    buffer_type = buffer
    buffer = buffer

    RTLD_LAZY = 1
    RTLD_NOW = 2
    RTLD_GLOBAL = 0x100
    RTLD_LOCAL = 0
    RTLD_NODELETE = 0x1000
    RTLD_NOLOAD = 4
    RTLD_DEEPBIND = 8

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self._shared = False
        self._setup()
        return self

    def _setup(self):
        self._ctx = _C.Context()
        wchar = "unsigned int" if self._ctx.describe(self._ctx.parse_type("wchar_t"))[1] == 8 else "int"
        self._ctx.cdef(
            "typedef enum __abicall_wchar_t : %s { __abicall_wchar_0 } wchar_t;\n"
            "typedef enum __abicall_char16_t : unsigned short { __abicall_char16_0 } char16_t;\n"
            "typedef enum __abicall_char32_t : unsigned int { __abicall_char32_0 } char32_t;\n"
            "typedef struct __abicall_FILE FILE;\n" % wchar
        )
        # the shared FFI holds its ctypes weakly (see _shared_ctype)
        self._by_id = weakref.WeakValueDictionary() if self._shared else {}
        self._by_name = weakref.WeakValueDictionary() if self._shared else {}
        self._local_tids = {}
        self._sources = []
        self._init_done = {}
        self._fptr_cache = {}
        self._init_lock = __import__("threading").Lock()
        self._libs = []
        self._user_typedefs = set()
        self._renames = {}
        self._bodiless_enums = set()
        self._null = self.cast("void *", 0)

    # --- declarations -------------------------------------------------------
    def cdef(self, csource, override=False, packed=False, pack=None):
        """Parses C declarations (``packed=True`` packs every struct)."""
        if not isinstance(csource, str):
            raise TypeError("cdef() argument must be a string, not %s" % type(csource).__name__)
        if packed and pack:
            raise ValueError("'packed' should be False or True; use 'pack' to give another value")
        if packed not in (False, True, 0, 1):
            raise ValueError("'packed' should be False or True; use 'pack' to give another value")
        if pack and pack not in (1, 2, 4, 8, 16):
            raise ValueError("'pack' must be a power of two, not %r" % (pack,))
        _cffi_refusals(csource, self._bodiless_enums)
        original = csource
        csource, renamed = _rename_predefined_typedefs(csource, self._renames)
        csource = _union_tags(_cffi_syntax(csource))
        if packed or pack:
            n = 1 if packed else int(pack)
            csource = "#pragma pack(push, %d)\n%s\n#pragma pack(pop)\n" % (n, csource)
        try:
            self._ctx.cdef(csource)
        except CDefError as e:
            msg = _union_unmangle(str(e), csource)
            if "redefined with a different value" in msg:
                raise FFIError(msg) from None  # as cffi (a #define given twice)
            raise CDefError(_cdef_error_text(original, msg, 1 if (packed or pack) else 0)) from None
        for name in renamed:
            # the text's own typedef of a predefined name wins (as in cffi)
            self._ctx.set_typedef(name, self._ctx.parse_type("__abicall_user_" + name))
            self._user_typedefs.add(name)
            self._renames[name] = "__abicall_user_" + name
        self._sources.append(csource)
        self._by_name.clear()
        self._local_tids.clear()
        for ct in list(self._by_id.values()):
            if (ct._size < 0 or ct._item_size < 0) and ct._ffi is self:
                # a struct or union this cdef completed: the same ctype, completed
                ct._refresh(self._ctx)
                ct._fieldmap = ct._fieldlist = None

    def include(self, ffi_to_include):
        """Makes the declarations of another ``FFI`` available here (they are
        parsed again in this context, so its types are equal, not identical)."""
        if not isinstance(ffi_to_include, _FFIBase):
            raise TypeError("ffi.include() expects an abicall FFI instance")
        if ffi_to_include is self:
            raise ValueError("cannot include an FFI in itself")
        for src in ffi_to_include._sources:
            self.cdef(src)

    def dlopen(self, name, flags=0):
        """Loads a shared library (``None``: the C library / running process)."""
        if _is_cdata(name) and name._ctype._kind == POINTER:
            # a handle from C's dlopen(), as in cffi
            if not name._addr:
                raise OSError("dlopen() of a NULL handle")
            lib = Lib(self, _HandleLibrary(name))
            self._libs.append(lib)
            return lib
        if name is not None and not isinstance(name, str):
            name = getattr(name, "__fspath__", lambda: name)()
            if not isinstance(name, str):
                raise TypeError("dlopen() takes a file name or None")
        try:
            library = _C.Library(name, flags)
        except OSError:
            # As cffi: a bare name such as "m" or "c" is also looked up with
            # ctypes.util.find_library.
            import ctypes.util

            found = ctypes.util.find_library(name) if name and "/" not in name else None
            if found is None:
                raise
            library = _C.Library(found, flags)
        lib = Lib(self, library)
        self._libs.append(lib)  # as in cffi, the FFI keeps its libraries alive
        return lib

    def dlclose(self, lib):
        """Closes a library: its attributes raise ``ValueError`` from now on
        (the code is unloaded when no function taken from it is left)."""
        if not isinstance(lib, Lib):
            raise TypeError("dlclose() expects a library object, not %s" % type(lib).__name__)
        d = lib.__dict__
        if d.get("_closed"):
            return
        keep = {k: d[k] for k in ("_ffi", "_library")}
        d.clear()
        d.update(keep)
        d["_closed"] = True
        try:
            self._libs.remove(lib)
        except ValueError:
            pass

    # --- types --------------------------------------------------------------
    def _ctype(self, tid):
        ct = self._by_id.get(tid)
        if ct is None:
            plain = self._ctx.strip_quals(tid)
            if plain != tid:
                ct = self._ctype(plain)
            elif not self._shared and self._ctx.shareable(tid):
                ct = _shared_ctype(self._ctx.describe(tid)[6])
            else:
                ct = CType(self._ctx, tid, self)
            self._by_id[tid] = ct
        return ct

    def _local_tid(self, ct):
        """The id in this FFI's context of a ctype (shared ctypes belong to
        another context)."""
        if ct._ffi is self:
            return ct._tid
        tid = self._local_tids.get(ct)
        if tid is None:
            tid = self._local_tids[ct] = self._ctx.parse_type(ct._rawname)
        return tid

    def _typeof_str(self, cdecl, function_ok=False):
        ct = self._by_name.get(cdecl)
        if ct is None:
            ct = self._ctype(self._parse_type(cdecl))
            if ct._kind == FUNCTION:
                if function_ok:
                    return _pointer_ct(ct)
                # a function type, not a pointer to one (cffi's error)
                raise self._type_error("the type %r is a function type, not a pointer-to-function type" % cdecl)
            self._by_name[cdecl] = ct
        return ct

    def _parse_type(self, cdecl):
        """A type id for a type string, read as cffi does: declarator names
        are allowed and ignored (``"int(*callback)(bool is_valid)"``),
        ``__stdcall``/``__cdecl``/``WINAPI`` are ignored."""
        text = cdecl
        if self._renames:
            text = _apply_renames(text, self._renames)
        if "__stdcall" in text or "__cdecl" in text or "WINAPI" in text:
            text = _cffi_syntax(text)
        text = _union_tags(text)
        for _ in range(64):
            try:
                return self._ctx.parse_type(text)
            except CDefError as e:
                import re

                msg = str(e)
                m = re.match(r"(\d+):(\d+): unexpected name `(\w+)` in a type name", msg)
                if not (m and m.group(1) == "1"):
                    msg = _union_unmangle(msg, text)
                    if "array of elements of incomplete type" in msg:
                        raise ValueError(msg) from None
                    if self._type_error is not CDefError:
                        raise self._type_error(msg) from None
                    if "size of array is negative" in msg:
                        raise ValueError(msg) from None
                    if "function cannot return" in msg:
                        raise TypeError("invalid result type: %s" % msg) from None
                    raise CDefError(msg) from None
                # `unexpected name `x` in a type name` at line:col: drop the name
                col = int(m.group(2)) - 1
                name = m.group(3)
                if text[col:col + len(name)] != name:
                    raise
                text = text[:col] + " " * len(name) + text[col + len(name):]
        raise CDefError("cannot parse %r" % cdecl)

    def _typeof(self, cdecl):
        if isinstance(cdecl, CType):
            return cdecl
        if isinstance(cdecl, str):
            return self._typeof_str(cdecl)
        if _is_cdata(cdecl):
            return cdecl._ctype
        raise TypeError("expected a cdecl string or ctype, got %s" % type(cdecl).__name__)

    def typeof(self, cdecl):
        """The ``CType`` of a C type name or of a cdata."""
        if isinstance(cdecl, str) or isinstance(cdecl, CType) or _is_cdata(cdecl):
            return self._typeof(cdecl)
        if callable(cdecl):
            raise TypeError("typeof() of a Python function is not supported")
        raise TypeError("expected a cdecl string, ctype or cdata, got %s" % type(cdecl).__name__)

    def sizeof(self, cdecl):
        """``sizeof`` of a type or of a cdata (its actual size for arrays)."""
        if _is_cdata(cdecl):
            ct = cdecl._ctype
            if ct._kind == ARRAY:
                return cdecl._len() * ct._item_size
            if ct._size < 0:
                raise ValueError("ctype '%s' is of unknown size" % ct.cname)
            if ct._kind in (STRUCT, UNION) and cdecl._owned > ct._size:
                return cdecl._owned  # a struct with its flexible array member
            return ct._size
        ct = self._typeof(cdecl)
        if ct._size < 0 or (ct._kind == ARRAY and ct._length < 0):
            raise ValueError("ctype '%s' is of unknown size" % ct.cname)
        return ct._size

    def alignof(self, cdecl):
        """``_Alignof`` of a type."""
        ct = self._typeof(cdecl)
        if ct._align < 0:
            raise ValueError("ctype '%s' is of unknown alignment" % ct.cname)
        return ct._align

    def offsetof(self, cdecl, *fields_or_indexes):
        """Offset of a member path (``"a"``, ``"a.b"``, or several arguments, indexes included)."""
        ct = self._typeof(cdecl)
        off, _ = self._walk(ct, fields_or_indexes, allow_ptr=False)
        return off

    def _walk(self, ct, path, allow_ptr):
        off = 0
        first = True
        for p in path:
            if isinstance(p, str):
                for name in (p,):
                    if ct._kind == POINTER and first and allow_ptr and ct._item_kind in (STRUCT, UNION):
                        ct = ct.item
                    if ct._kind not in (STRUCT, UNION):
                        raise TypeError("expected a struct or union ctype, got '%s'" % ct.cname)
                    f = ct._fields().get(name)
                    if f is None:
                        raise KeyError(name)
                    if f[3] >= 0:
                        raise TypeError("not supported for bitfields")
                    off += f[0]
                    ct = f[1]
                    first = False
            else:
                i = p.__index__()
                if ct._kind not in (ARRAY, POINTER):
                    raise TypeError("expected an array or pointer ctype, got '%s'" % ct.cname)
                off += i * ct._item_size
                ct = ct.item
                first = False
        return off, ct

    def getctype(self, cdecl, replace_with=""):
        """The C spelling of a type, with ``replace_with`` inserted as the declarator."""
        name = self._typeof(cdecl).cname
        replace_with = replace_with.strip()
        if not replace_with:
            return name
        if replace_with.startswith("*") and ("&[" in name or "(*" in name or "[" in name):
            replace_with = "(%s)" % replace_with
        elif replace_with[0] not in "[(":
            replace_with = " " + replace_with
        for i, ch in enumerate(name):
            if ch in "[(":
                if name[i:i + 2] == "(*":
                    return name[:i + 2] + replace_with.lstrip() + name[i + 2:]
                return name[:i] + replace_with + name[i:]
        return name + replace_with

    def list_types(self):
        """``(typedef names, struct names, union names)``, as cffi."""
        typedefs, structs, unions = self._ctx.list_types()
        if "FILE" not in self._user_typedefs:
            typedefs = [t for t in typedefs if t != "FILE"]
        structs = [t for t in structs if not t.startswith("__abicall_")]
        unions = [u[len(_UNION_PREFIX):] if u.startswith(_UNION_PREFIX) else u for u in unions]
        return typedefs, structs, unions

    def init_once(self, func, tag):
        """Runs ``func()`` once per ``tag`` (thread-safe); returns its result every time."""
        import threading

        with self._init_lock:
            entry = self._init_done.get(tag)
            if entry is None:
                entry = self._init_done[tag] = [threading.Lock(), False, None]
        with entry[0]:
            if not entry[1]:
                entry[2] = func()
                entry[1] = True
        return entry[2]

    def integer_const(self, name):
        """The value of an integer constant (``#define``, enumerator)."""
        v = self._ctx.constant(name)
        if not isinstance(v, int):
            raise FFIError("'%s' is not an integer constant" % name)
        return v

    # --- memory -------------------------------------------------------------
    def _new_slow(self, cdecl, init=None):
        """A new zero-initialized C object owned by Python (``T *`` or
        ``T[n]``): ``new``'s cases that its native method leaves here."""
        ct = self._by_name.get(cdecl) if cdecl.__class__ is str else None
        if ct is None:
            if _is_cdata(cdecl):
                raise TypeError("expected a cdecl string or ctype, got cdata '%s'" % cdecl._ctype.cname)
            ct = self._typeof(cdecl)
        if ct._kind == POINTER:
            item = ct.item
            size = item._size
            if size < 0:
                raise TypeError("cannot instantiate ctype '%s' of unknown size" % item.cname)
            if init is None:
                return _new_owned(ct, size, item._align, -1, size)
            if item._kind == PRIMITIVE and not item._wchar and init.__class__ in (int, float, bytes):
                return _new_owned(ct, size, item._align, -1, size, item._code, init)
            if init.__class__ in (dict, list, tuple):
                cd = _new_owned(ct, size, item._align, -1, size)
                if _write_init(item, cd._addr, init):
                    return cd
            size = max(size, self._flexible_size(item, init))
            cd = _new_owned(ct, size, item._align, -1, size)
            if size > item._size:
                self._write_record(item, cd._addr, init, size - item._size)
            else:
                self._write(item, cd._addr, init)
            return cd
        if ct._kind == ARRAY and ct._length >= 0 and init is None and ct._size >= 0:
            return _new_owned(ct, ct._size, ct.item._align, -1, ct._size)
        if ct._kind == ARRAY:
            item = ct.item
            n = ct._length
            if n < 0:
                if init is None:
                    raise TypeError("array length must be given for '%s'" % ct.cname)
                if isinstance(init, int):
                    n = init
                    if n < 0:
                        raise ValueError("negative array length")
                    init = None
                elif isinstance(init, bytes) and item._kind == PRIMITIVE and item._size == 1:
                    n = len(init) + 1
                elif isinstance(init, str) and item._wchar:
                    n = len(self._wchars(init, item._size)) + 1
                elif _is_cdata(init) and init._ctype._kind == ARRAY:
                    n = len(init)
                else:
                    init = list(init)
                    n = len(init)
            if item._size < 0:
                raise TypeError("cannot instantiate array of '%s' of unknown size" % item.cname)
            size = n * item._size
            cd = _new_owned(ct, size, item._align, n if ct._length < 0 else -1, size)
            if init is not None and not _write_init(ct, cd._addr, init, n):
                self._write_array(ct, item, cd._addr, n, init)
            return cd
        raise TypeError("expected a pointer or array ctype, got '%s'" % ct.cname)

    def _flexible_size(self, item, init):
        """Bytes needed by a struct ending in a flexible array member (also
        through a last member that is such a struct) for ``init`` (the
        member's initializer gives the length: a list, or an int); 0 if
        nothing beyond ``sizeof``."""
        if item._kind != STRUCT or init is None or _is_cdata(init):
            return 0
        fields = item.fields
        if not fields:
            return 0
        name, last = fields[-1]
        lt = last.type
        if isinstance(init, dict):
            v = init.get(name)
        elif isinstance(init, (list, tuple)) and len(init) == len(item._init_order) and item._init_order[-1] == name:
            v = init[-1]
        else:
            v = None
        if v is None:
            return 0
        if lt._kind == ARRAY and lt._length < 0:
            n = v if isinstance(v, int) else len(v)
            return last.offset + n * lt._item_size
        if lt._kind == STRUCT:
            sub = self._flexible_size(lt, v)
            return last.offset + sub if sub else 0
        return 0

    def new_allocator(self, alloc=None, free=None, should_clear_after_alloc=True):
        """An ``ffi.new``-like function using ``alloc(size)`` / ``free(raw)``:
        ``alloc`` must return a cdata pointer or array (what ``free`` is
        later called with); without ``alloc``, C ``malloc``/``free`` when
        ``should_clear_after_alloc`` is false, else ``ffi.new``."""
        if alloc is None:
            if free is not None:
                raise TypeError("cannot pass 'free' without 'alloc'")
            if should_clear_after_alloc:
                return self.new
            alloc, free = self._malloc_free()

        def allocator(cdecl, init=None):
            ct = self._typeof(cdecl)
            length = -1
            if ct._kind == POINTER:
                size = ct.item._size
                if size < 0:
                    raise TypeError("cannot instantiate ctype '%s' of unknown size" % ct.item.cname)
            elif ct._kind == ARRAY:
                if ct._length >= 0:
                    size = ct._size
                else:
                    if init is None:
                        raise TypeError("array length must be given for '%s'" % ct.cname)
                    length = init if isinstance(init, int) else len(init)
                    if length < 0:
                        raise ValueError("negative array length")
                    if isinstance(init, int):
                        init = None
                    elif isinstance(init, bytes) and ct._item_size == 1:
                        length += 1
                    size = length * ct._item_size
            else:
                raise TypeError("expected a pointer or array ctype, got '%s'" % ct.cname)
            raw = alloc(size)
            if not _is_cdata(raw):
                raise TypeError("alloc() must return a cdata object (got %s)" % type(raw).__name__)
            if raw._ctype._kind not in (POINTER, ARRAY):
                raise TypeError("alloc() must return a cdata pointer, not '%s'" % raw._ctype.cname)
            addr = raw._addr
            if not addr:
                raise MemoryError("alloc() returned NULL")
            if should_clear_after_alloc:
                _C.write_bytes(addr, bytes(size))
            keep = raw if free is None else _Gc(raw, free, raw)
            cd = CData(ct, addr, keep, length)
            if init is not None:
                if ct._kind == POINTER:
                    self._write(ct.item, addr, init)
                else:
                    self._write_array(ct, ct.item, addr, length if length >= 0 else ct._length, init)
            return cd

        return allocator

    def _malloc_free(self):
        """C ``malloc`` and ``free`` as ``alloc``/``free`` functions for
        ``new_allocator`` (memory not cleared)."""
        helper = _FFIBase()
        helper.cdef("void *malloc(size_t); void free(void *);")
        libc = helper.dlopen(None)
        malloc, cfree = libc.malloc, libc.free

        def alloc(size):
            return malloc(max(size, 1))

        def free(raw):
            cfree(raw)

        return alloc, free

    def _cast_slow(self, cdecl, source):
        """C cast of a number or cdata to ``cdecl`` (``cast``: a native method
        for casts to a known pointer type from a pointer, this otherwise)."""
        ct = self._typeof(cdecl)
        k = ct._kind
        if k == ENUM and ct._size < 0 and not ct._wchar:
            # `enum foo;` without enumerators: an unsigned int, as cffi guesses
            import warnings

            warnings.warn("'%s' has no values explicitly defined; guessing that it is equivalent to "
                          "'unsigned int'" % ct.cname)
            v = source._value() if _is_cdata(source) else source
            return _new_owned(ct, 4, 4, -1, 0, ct._code, int(v) & 0xFFFFFFFF)
        if source.__class__ is int:
            if k == POINTER:
                return CData(ct, source & 0xFFFFFFFFFFFFFFFF)
            bits = _INT_BITS.get(ct._code)
            if k == PRIMITIVE and bits and ct._code not in (C_BOOL, C_CHAR) and not ct._wchar:
                v = source & ((1 << bits) - 1)
                if ct._code in C_SIGNED and v >> (bits - 1):
                    v -= 1 << bits
                return _new_owned(ct, ct._size, ct._align, -1, 0, ct._code, v)
        if k in (POINTER, FUNCTION):
            if k == FUNCTION:
                ct = _pointer_ct(ct)
            if source is None:
                return CData(ct, 0)
            if _is_cdata(source):
                sk = source._ctype._kind
                if sk in (POINTER, ARRAY):
                    return CData(ct, source._addr, _cast_owner(source))
                if sk in (PRIMITIVE, ENUM):
                    return CData(ct, int(source) & 0xFFFFFFFFFFFFFFFF)
                raise TypeError("cannot cast cdata '%s' to '%s'" % (source._ctype.cname, ct.cname))
            if isinstance(source, (int, float)):
                return CData(ct, int(source) & 0xFFFFFFFFFFFFFFFF)
            raise TypeError("cannot cast %s to '%s'" % (type(source).__name__, ct.cname))
        if (ct._code == C_LDOUBLE or ct._ldc) and _is_cdata(source) and source._ctype is ct:
            cd = _new_owned(ct, ct._size, ct._align, -1, 0)
            _C.memmove(cd._addr, source._addr, ct._size)
            return cd
        if ct._ldc:
            cd = _new_owned(ct, ct._size, ct._align, -1, 0)
            self._write(ct, cd._addr, source)
            return cd
        if k in (PRIMITIVE, ENUM):
            code = ct._code
            if _is_cdata(source):
                sk = source._ctype._kind
                if sk in (POINTER, ARRAY, FUNCTION):
                    v = source._addr
                elif sk in (PRIMITIVE, ENUM):
                    v = source._value()
                    if source._ctype._code == C_CHAR:
                        v = v[0]
                else:
                    raise TypeError("cannot cast cdata '%s' to '%s'" % (source._ctype.cname, ct.cname))
            elif isinstance(source, (bytes, bytearray)) and len(source) == 1:
                v = source[0]
            elif isinstance(source, str) and len(source) == 1:
                v = ord(source)
            else:
                v = source
            if code in C_FLOATS or code in C_COMPLEX:
                if code in C_COMPLEX:
                    v = complex(v)
                else:
                    if isinstance(v, complex):
                        raise TypeError("cannot cast complex to '%s'" % ct.cname)
                    v = float(v)
            elif code == C_BOOL:
                v = 1 if v else 0
            else:
                if isinstance(v, float):
                    v = int(v)
                elif not isinstance(v, int):
                    v = v.__index__() if hasattr(v, "__index__") else self._bad_cast(v, ct)
                bits = _INT_BITS[code]
                v &= (1 << bits) - 1
                if code in C_SIGNED:
                    if v >> (bits - 1):
                        v -= 1 << bits
                if code == C_CHAR:
                    v = bytes((v,))
            return _new_owned(ct, ct._size, ct._align, -1, 0, code, v)
        if k == ARRAY and _is_cdata(source) and source._ctype._kind in (POINTER, ARRAY):
            return CData(ct, source._addr, _cast_owner(source))
        raise TypeError("cannot cast to ctype '%s'" % ct.cname)

    def _bad_cast(self, v, ct):
        raise TypeError("cannot cast %s to ctype '%s'" % (type(v).__name__, ct.cname))

    def string(self, cdata, maxlen=-1):
        """The bytes (or str, for wide chars) of a C string, or an enum's name."""
        if not _is_cdata(cdata):
            raise TypeError("expected a cdata, got %s" % type(cdata).__name__)
        ct = cdata._ctype
        k = ct._kind
        if k in (POINTER, ARRAY) and ct._item_kind in (PRIMITIVE, ENUM):
            item = ct.item
            ml = None if maxlen is None or maxlen < 0 else maxlen
            if k == ARRAY:
                n = cdata._len()
                ml = n if ml is None else min(ml, n)
            elif cdata._addr == 0:
                raise RuntimeError("cannot use string() on %r" % cdata)
            if item._wchar:
                return _C.wstring_at(cdata._addr, item._size, ml)
            if item._size == 1:
                if ml == 0:
                    return b""
                return _C.string_at(cdata._addr, ml)
            raise TypeError("string() of '%s' not supported" % ct.cname)
        if k == ENUM and not ct._wchar:
            v = cdata._value()
            return ct.elements.get(v, str(v))
        if k == PRIMITIVE or ct._wchar:
            v = cdata._value()
            if ct._code == C_CHAR:
                return v
            if ct._wchar:
                return chr(v)
            raise TypeError("string() argument must be a cdata pointer or array of chars, not '%s'" % ct.cname)
        raise TypeError("string() argument must be a cdata pointer or array of chars, not '%s'" % ct.cname)

    def unpack(self, cdata, length):
        """``length`` items at a pointer/array as bytes, str or a list."""
        ct = cdata._ctype
        if ct._kind not in (POINTER, ARRAY):
            raise TypeError("expected a pointer or array, got '%s'" % ct.cname)
        if length < 0:
            raise ValueError("negative length")
        item = ct.item
        if length and cdata._addr == 0:
            raise RuntimeError("cannot use unpack() on %r" % cdata)
        if item._kind == PRIMITIVE and item._code == C_CHAR:
            return _C.read_bytes(cdata._addr, length)
        if item._wchar:
            return "".join(chr(_C.read(item._code, cdata._addr + i * item._size)) for i in range(length))
        if item._size < 0:
            raise TypeError("cannot unpack items of unknown size")
        return [self._read(item, cdata._addr + i * item._size, cdata) for i in range(length)]

    def from_buffer(self, cdecl, python_buffer=_SENTINEL, require_writable=False):
        """An array cdata viewing a Python buffer (bytearray, bytes, array, memoryview, ...)."""
        if python_buffer is _SENTINEL:
            cdecl, python_buffer = "char[]", cdecl
        ct = self._typeof(cdecl)
        if isinstance(python_buffer, str):
            raise TypeError("from_buffer() cannot return the address of a unicode object")
        if isinstance(python_buffer, Buffer):
            pin = python_buffer
            addr, nbytes = python_buffer._addr, python_buffer._size
        else:
            pin = _C.PinnedBuffer(python_buffer, require_writable)
            addr, nbytes = pin.address, pin.size
        if ct._kind == ARRAY:
            if ct._length >= 0:
                if nbytes < ct._size:
                    raise ValueError("buffer is too small (%d bytes) for '%s' (%d bytes)" % (nbytes, ct.cname, ct._size))
                return CData(ct, addr, pin)
            n = nbytes // ct._item_size if ct._item_size > 0 else 0
            return CData(ct, addr, pin, n)
        if ct._kind == POINTER:
            if nbytes < ct._item_size:
                raise ValueError("buffer is too small for '%s'" % ct.cname)
            return CData(ct, addr, pin)
        raise TypeError("expected an array or pointer ctype, got '%s'" % ct.cname)

    def release(self, cdata):
        """Releases a ``from_buffer`` pin early (other cdata: nothing to do)."""
        o = cdata._owner
        if isinstance(o, _C.PinnedBuffer):
            o.release()

    def memmove(self, dest, src, n):
        """``memmove`` between cdata and/or Python buffers.

        Unlike cffi, ``n`` is checked against the memory abicall knows the
        extent of (an object from ``new``, a ``buffer``, a Python buffer):
        copying past its end raises ``ValueError`` instead of corrupting
        the heap."""
        keep = []
        d, dn = self._buf_addr(dest, True, keep)
        s, sn = self._buf_addr(src, False, keep)
        if n < 0:
            raise ValueError("memmove: negative size %d" % n)
        for what, extent in (("destination", dn), ("source", sn)):
            if extent is not None and n > extent:
                raise ValueError("memmove: %d bytes exceed the %s's %d bytes" % (n, what, extent))
        _C.memmove(d, s, n)

    def _buf_addr(self, x, writable, keep):
        """``(address, known extent in bytes or None)`` of a memmove operand."""
        if _is_cdata(x):
            if x._ctype._kind not in (POINTER, ARRAY):
                raise TypeError("expected a pointer or array cdata, got '%s'" % x._ctype.cname)
            # Owned memory (`new`) has a known size; views (struct members,
            # pointers from C) are not checked, as in cffi.
            return x._addr, (x._owned if x._owned > 0 else None)
        if isinstance(x, Buffer):
            return x._addr, x._size
        if isinstance(x, int):
            raise TypeError("expected a cdata or buffer, got int")
        pin = _C.PinnedBuffer(x, writable)
        keep.append(pin)
        return pin.address, pin.size

    def addressof(self, cdata, *fields_or_indexes):
        """Pointer to a struct/union/array cdata, or to a member of it; or
        ``addressof(lib, "name")`` for a global or function."""
        if isinstance(cdata, Lib):
            name = fields_or_indexes[0]
            ctx = self._ctx
            var = ctx.variable(name)
            if var is not None:
                ct, addr = cdata._var(var)
                return CData(_pointer_ct(ct), addr, cdata._library)
            fn = ctx.function(name)
            if fn is not None:
                return getattr(cdata, name)
            raise AttributeError("no global or function named '%s'" % name)
        if not _is_cdata(cdata):
            raise TypeError("expected a cdata, got %s" % type(cdata).__name__)
        ct = cdata._ctype
        if ct._kind not in (STRUCT, UNION, ARRAY) and not (ct._kind == POINTER and fields_or_indexes):
            raise TypeError("expected a cdata struct/union/array object, got '%s'" % ct.cname)
        off, target = self._walk(ct, fields_or_indexes, allow_ptr=True)
        return CData(_pointer_ct(target), cdata._addr + off, cdata)

    def new_handle(self, x):
        """A ``void *`` that ``from_handle`` maps back to ``x`` while the handle lives."""
        g = _C.HandleGuard(x)
        return CData(self._typeof("void *"), g.address, g)

    def from_handle(self, x):
        """The object given to ``new_handle``."""
        if not _is_cdata(x) or x._ctype._kind not in (POINTER, ARRAY):
            raise TypeError("expected a 'cdata' object with a 'void *' out of new_handle()")
        if x._addr == 0:
            raise RuntimeError("cannot use from_handle() on NULL pointer")
        return _C.from_handle(x._addr)

    def gc(self, cdata, destructor, size=0):
        """A copy of ``cdata`` that calls ``destructor(cdata)`` when it dies."""
        if not _is_cdata(cdata):
            raise TypeError("gc() argument 1 must be a cdata, not %s" % type(cdata).__name__)
        if destructor is None:
            o = cdata._owner
            if not isinstance(o, _Gc):
                raise TypeError("Can remove destructor only on a object previously returned by ffi.gc()")
            o.destructor = None
            return None
        g = _Gc(cdata, destructor, cdata._owner)
        return CData(cdata._ctype, cdata._addr, g, cdata._length, cdata._owned)

    @property
    def errno(self):
        """``errno`` as left by the last C call in this thread."""
        return _C.get_errno()

    @errno.setter
    def errno(self, v):
        _C.set_errno(v)

    # --- callbacks ----------------------------------------------------------
    def callback(self, cdecl, python_callable=None, error=None, onerror=None):
        """A C function pointer calling ``python_callable`` (decorator when it is omitted)."""
        if python_callable is None:
            return lambda f: self.callback(cdecl, f, error, onerror)
        if not callable(python_callable):
            raise TypeError("expected a callable object, not %s" % type(python_callable).__name__)
        if onerror is not None and not callable(onerror):
            raise TypeError("expected a callable object for 'onerror', not %s" % type(onerror).__name__)
        ct = self._typeof_str(cdecl, True) if isinstance(cdecl, str) else self._typeof(cdecl)
        if ct._kind == FUNCTION:
            ct = _pointer_ct(ct)
        if ct._kind != POINTER or ct._item_kind != FUNCTION:
            raise TypeError("expected a function ctype, got '%s'" % ct.cname)
        ret, params, variadic = ct.item._signature()
        if variadic:
            raise TypeError("a callback cannot be variadic ('%s')" % ct.cname)
        err_bytes = None
        if error is not None and ret._kind in (PRIMITIVE, ENUM, POINTER):
            if ret._kind == POINTER:
                err_bytes = _C.pack(C_PTR, self._pointer_value(ret, error, []))
            else:
                err_bytes = _C.pack(ret._code, error)[: ret._size]

        def on_error(et, ev, tb):
            # cffi's rules: onerror(exc, value, tb) may give the result;
            # else the exception is reported and C gets `error`
            if onerror is not None:
                try:
                    r = onerror(et, ev, tb)
                except BaseException:
                    _report(python_callable, *sys.exc_info())
                    return _SENTINEL
                if r is not None:
                    return r
            else:
                _report(python_callable, et, ev, tb)
            return _SENTINEL

        def on_void_value(value):
            e = TypeError("callback with the return type 'void' must return None")
            _report(python_callable, TypeError, e, None, ", trying to convert the result back to C")

        def on_convert_error(exc):
            if onerror is not None:
                onerror(type(exc), exc, exc.__traceback__)
            else:
                _report(python_callable, type(exc), exc, exc.__traceback__, ", trying to convert the result back to C")

        return _CallbackCData(ct._ffi._ctx, ct, python_callable, params, ret, err_bytes, on_error, on_convert_error,
                              on_void_value, _SENTINEL)

    def def_extern(self, *args, **kwargs):
        """API mode only (``extern "Python"``): raises ``FFIError`` here."""
        raise ValueError("ffi.def_extern() is only available on API-mode FFI objects")

    # --- conversions (used by CData and the native call path) -------------
    def _function_at(self, fptr_ct, addr):
        """A callable for a function pointer value, prepared once per
        (type, address) and cached (calls through cdata function pointers).
        The cache keeps nothing alive: calling through a pointer whose code
        is gone is the caller's error, as in cffi (callback trampolines are
        never freed, so a dead callback answers with its error value)."""
        key = (fptr_ct, addr)
        f = self._fptr_cache.get(key)
        if f is None:
            if len(self._fptr_cache) > 4096:
                self._fptr_cache.clear()
            f = self._fptr_cache[key] = self._function(fptr_ct, addr, "<function pointer>", None)
        return f

    def _function(self, fptr_ct, addr, name, keepalive):
        global _vectorcall_enabled
        ret, params, variadic = fptr_ct.item._signature()
        if variadic and fptr_ct._ffi is not self:
            # the variadic arguments' types are this FFI's (records, enums)
            f = _FuncCData(self._ctx, fptr_ct, addr, params, ret, name, keepalive, self._ctype,
                           self._local_tid(fptr_ct), self._local_tid)
        else:
            owner = fptr_ct._ffi
            f = _FuncCData(owner._ctx, fptr_ct, addr, params, ret, name, keepalive, owner._ctype, None,
                           owner._local_tid)
        if not _vectorcall_enabled:
            _C._enable_vectorcall(f)
            _vectorcall_enabled = True
        return f

    def _read(self, ct, addr, owner):
        """The value of a ``ct`` at ``addr``: numbers for scalars, cdata
        views (kept alive by ``owner``) for aggregates, cdata for pointers."""
        k = ct._kind
        if k == PRIMITIVE or k == ENUM:
            if ct._wchar:
                return chr(_C.read(ct._code, addr))
            if ct._code == C_LDOUBLE or ct._ldc:
                # a copy as a cdata: no rounding to a Python float (as cffi)
                cd = _new_owned(ct, ct._size, ct._align, -1, 0)
                _C.memmove(cd._addr, addr, ct._size)
                return cd
            return _C.read(ct._code, addr)
        if k == POINTER:
            return CData(ct, _C.read(C_PTR, addr))
        if k in (STRUCT, UNION, ARRAY):
            return CData(ct, addr, owner)
        raise TypeError("cannot read a value of type '%s'" % ct.cname)

    def _read_bits(self, ct, addr, shift, width):
        nbytes = (shift + width + 7) // 8
        raw = int.from_bytes(_C.read_bytes(addr, nbytes), "little")
        v = (raw >> shift) & ((1 << width) - 1)
        if ct._code in C_SIGNED:
            if width and v >> (width - 1):
                v -= 1 << width
        if ct._code == C_BOOL:
            return bool(v)
        return v

    def _write_bits(self, ct, addr, shift, width, value):
        if _is_cdata(value) and value._ctype._kind in (PRIMITIVE, ENUM):
            value = int(value)
        if not isinstance(value, int):
            raise TypeError("an integer is required")
        if ct._code in C_SIGNED:
            lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        else:
            lo, hi = 0, (1 << width) - 1
        if not lo <= value <= hi:
            raise OverflowError(
                "value %d outside the range allowed by the bit field width: %d <= x <= %d" % (value, lo, hi)
            )
        nbytes = (shift + width + 7) // 8
        raw = int.from_bytes(_C.read_bytes(addr, nbytes), "little")
        mask = ((1 << width) - 1) << shift
        raw = (raw & ~mask) | ((value << shift) & mask)
        _C.write_bytes(addr, raw.to_bytes(nbytes, "little"))

    def _pointer_value(self, ct, value, keep):
        if _is_cdata(value):
            vct = value._ctype
            vk = vct._kind
            if vk in (POINTER, ARRAY):
                if vct._item == ct._item or ct._item_kind == VOID or vct._item_kind == VOID:
                    return value._addr
            raise TypeError(
                "initializer for ctype '%s' must be a %s, not cdata '%s'"
                % (ct.cname, "pointer to %s" % ct.item.cname if ct._item_kind != VOID else "cdata pointer", vct.cname)
            )
        raise TypeError(
            "initializer for ctype '%s' must be a cdata pointer, not %s" % (ct.cname, type(value).__name__)
        )

    def _write(self, ct, addr, value, extra=0):
        """Stores ``value`` as a ``ct`` at ``addr`` (cffi's initializer rules)."""
        k = ct._kind
        if (ct._code == C_LDOUBLE or ct._ldc) and _is_cdata(value) and value._ctype is ct:
            _C.memmove(addr, value._addr, ct._size)  # all the bits of a long double
            return
        if ct._ldc:
            if _is_cdata(value):
                value = complex(value)
            if not isinstance(value, (int, float, complex)):
                raise TypeError("initializer for ctype '%s' must be a complex number, not %s"
                                % (ct.cname, type(value).__name__))
            value = complex(value)
            _C.write(C_LDOUBLE, addr, value.real)
            _C.write(C_LDOUBLE, addr + 16, value.imag)
            return
        if k == PRIMITIVE or k == ENUM:
            if _is_cdata(value):
                vk = value._ctype._kind
                if vk in (PRIMITIVE, ENUM):
                    value = value._value()
                    if ct._code != C_CHAR and isinstance(value, bytes):
                        value = value[0]
                else:
                    raise TypeError("initializer for ctype '%s' must be a %s, not cdata '%s'"
                                    % (ct.cname, "number", value._ctype.cname))
            elif ct._wchar and not isinstance(value, str):
                raise TypeError("initializer for ctype '%s' must be a unicode string of length 1, not %s"
                                % (ct.cname, type(value).__name__))
            elif ct._wchar and isinstance(value, str):
                if len(value) != 1:
                    raise TypeError("initializer for ctype '%s' must be a string of length 1" % ct.cname)
                value = ord(value)
            elif k == ENUM and isinstance(value, str):
                raise TypeError("initializer for ctype '%s' must be an integer, not str" % ct.cname)
            _C.write(ct._code, addr, value)
        elif k == POINTER:
            _C.write(C_PTR, addr, self._pointer_value(ct, value, None))
        elif k == ARRAY:
            n = ct._length
            if n < 0:
                raise TypeError("cannot assign to an array of unknown length '%s'" % ct.cname)
            self._write_array(ct, ct.item, addr, n, value)
        elif k in (STRUCT, UNION):
            self._write_record(ct, addr, value, extra)
        else:
            raise TypeError("cannot store a value of type '%s'" % ct.cname)

    def _wchars(self, s, unit):
        if unit == 2:
            data = s.encode("utf-16-le")
            return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]
        return [ord(c) for c in s]

    def _write_array(self, ct, item, addr, n, value):
        size = item._size
        if _is_cdata(value):
            vct = value._ctype
            if vct._kind == ARRAY and vct._item == ct._item and len(value) == n:
                _C.memmove(addr, value._addr, n * size)
                return
            raise TypeError("initializer for ctype '%s' must be a list or tuple, not cdata '%s'" % (ct.cname, vct.cname))
        if isinstance(value, bytes) and item._kind == PRIMITIVE and size == 1:
            if len(value) > n:
                raise IndexError(
                    "initializer bytes is too long for '%s' (got %d characters)" % (ct.cname, len(value))
                )
            _C.write_bytes(addr, value)
            if len(value) < n:
                _C.write_bytes(addr + len(value), b"\0")
            return
        if isinstance(value, str) and item._wchar:
            units = self._wchars(value, size)
            if len(units) > n:
                raise IndexError("initializer string is too long for '%s' (got %d characters)" % (ct.cname, len(units)))
            code = item._code
            for i, u in enumerate(units):
                _C.write(code, addr + i * size, u)
            if len(units) < n:
                _C.write(code, addr + len(units) * size, 0)
            return
        if isinstance(value, (bytes, str)) or not hasattr(value, "__iter__"):
            raise TypeError(
                "initializer for ctype '%s' must be a list or tuple or bytes, not %s" % (ct.cname, type(value).__name__)
            )
        items = list(value)
        if len(items) > n:
            raise IndexError("too many initializers for '%s' (got %d)" % (ct.cname, len(items)))
        for i, v in enumerate(items):
            self._write(item, addr + i * size, v)

    def _write_record(self, ct, addr, value, extra=0):
        if _is_cdata(value):
            vct = value._ctype
            if vct._kind in (STRUCT, UNION) and vct._tid == ct._tid:
                _C.memmove(addr, value._addr, ct._size)
                return
            raise TypeError("initializer for ctype '%s' must be a list or tuple or dict or struct-cdata, not cdata '%s'"
                            % (ct.cname, vct.cname))
        fields = ct._fields()
        if isinstance(value, dict):
            for name, v in value.items():
                if name not in fields:
                    raise KeyError(name)
                self._write_field(fields[name], addr, v, extra, ct._size)
            return
        if isinstance(value, (list, tuple)):
            named = ct._init_order
            if len(value) > len(named):  # a union's order holds its first member only
                raise ValueError("too many initializers for '%s' (got %d)" % (ct.cname, len(value)))
            for name, v in zip(named, value):
                self._write_field(fields[name], addr, v, extra, ct._size)
            return
        raise TypeError(
            "initializer for ctype '%s' must be a list or tuple or dict or struct-cdata, not %s"
            % (ct.cname, type(value).__name__)
        )

    def _write_field(self, f, addr, v, extra=0, rec_size=0):
        """Stores member ``f`` of a record at ``addr`` of ``rec_size`` bytes
        followed by ``extra`` allocated bytes (room for flexible arrays)."""
        off, fct, bshift, bsize = f
        if bsize >= 0:
            self._write_bits(fct, addr + off, bshift, bsize, v)
        elif fct._kind == ARRAY and fct._length < 0:
            # flexible array member: room up to the end of the allocation
            if isinstance(v, int):
                return
            room = rec_size - off + extra
            n = room // fct._item_size if fct._item_size > 0 else 0
            self._write_array(fct, fct.item, addr + off, n, v)
        elif fct._kind == STRUCT:
            self._write(fct, addr + off, v, max(0, rec_size + extra - off - fct._size))
        else:
            self._write(fct, addr + off, v)

    def _convert_arg(self, ct, value):
        """Argument conversion for the cases the native path leaves to
        Python: returns ``(address of the argument bytes, keepalive)``."""
        k = ct._kind
        if k == POINTER:
            if isinstance(value, str) and ct.item._wchar:
                # as cffi: a str for a wchar_t * argument is a temporary wide string
                arr = self.new(_open_array_ct(ct), value)
                box = _C.Block(8, 8)
                _C.write(C_PTR, box.address, arr._addr)
                return box.address, (box, arr)
            if isinstance(value, (list, tuple)) and ct._item_kind not in (VOID, FUNCTION):
                arr = self.new(_open_array_ct(ct), value)
                box = _C.Block(8, 8)
                _C.write(C_PTR, box.address, arr._addr)
                return box.address, (box, arr)
            if isinstance(value, bytes) and ct._item_kind == VOID:
                # as cffi: bytes for a `void *` argument pass their data
                pin = _C.PinnedBuffer(value, False)
                box = _C.Block(8, 8)
                _C.write(C_PTR, box.address, pin.address)
                return box.address, (box, pin)
            if ct._item_kind == STRUCT and ct.item.cname == "FILE" and hasattr(value, "fileno"):
                box = _C.Block(8, 8)
                _C.write(C_PTR, box.address, _c_file(value))
                return box.address, box
            if isinstance(value, Buffer):
                box = _C.Block(8, 8)
                _C.write(C_PTR, box.address, value._addr)
                return box.address, (box, value)
            self._pointer_value(ct, value, None)
        if ct._size < 0:
            raise TypeError("cannot pass an argument of type '%s'" % ct.cname)
        box = _C.Block(max(ct._size, 16), max(ct._align, 16))
        self._write(ct, box.address, value)
        return box.address, box



# built-in methods (bindings/python/src/methods.rs), falling back to
# _cast_slow / _new_slow
_FFIBase.cast = _C._native_method(_FFIBase, "cast")
_FFIBase.new = _C._native_method(_FFIBase, "new")


def _report(f, et, ev, tb, extra=""):
    """Reports a callback exception the way cffi does: through
    ``sys.unraisablehook``, as "Exception ignored from cffi callback <f>"."""
    if ev is None:
        ev = et()
    if tb is not None and ev.__traceback__ is None:
        ev = ev.with_traceback(tb)
    _C.write_unraisable(ev, "from cffi callback %r%s" % (f, extra))


class FFI(_FFIBase):
    """cffi's ``FFI`` in ABI mode: ``from abicall import FFI`` in place of
    ``from cffi import FFI`` (``backend`` is accepted and ignored: abicall
    is the backend)."""

    def __init__(self, backend=None):
        pass
