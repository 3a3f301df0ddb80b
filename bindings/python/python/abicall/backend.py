"""``_cffi_backend.FFI`` on abicall: the FFI class that cffi's out-of-line
ABI-mode modules (``ffibuilder.set_source("_mod", None)``) instantiate, and
that cffi's tests reach as ``_cffi_backend.FFI``."""

from ._ffi import FFI as _FFI


class FFI(_FFI):
    """An FFI built by ``_cffi_backend.FFI()`` (no arguments: empty)."""

    def __init__(self, module_name=None, **kw):
        if module_name is not None and not isinstance(module_name, str):
            raise TypeError("FFI() argument 1 must be str or None, not %s" % type(module_name).__name__)
        _FFI.__init__(self)
