"""abicall: a cffi ABI-mode compatible FFI on the abicall engine.

``from abicall import FFI`` in place of ``from cffi import FFI``: the same
``cdef`` / ``dlopen`` / ``new`` / ``cast`` / ``callback`` / ... surface, the
same exceptions, plus what cffi refuses: unions, bitfield structs and
packed structs passed and returned by value.
"""

from ._abicall import CDataBase as CData
from ._abicall import CDefError, FFIError
from ._ffi import FFI, CField, CType, Lib

error = FFIError
VerificationError = FFIError

__all__ = ["FFI", "CData", "CType", "CField", "Lib", "FFIError", "CDefError", "error"]
