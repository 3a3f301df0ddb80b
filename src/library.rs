//! Shared objects: open by path or soname, or the running process itself;
//! look symbols up (honouring `__asm__` renames); view declared `extern`
//! globals as [`CData`].
//!
//! Every object derived from a [`Library`] — a [`Symbol`], a global's
//! [`CData`] view — holds an `Arc` to it, so the shared object stays loaded
//! while anything that points into it is alive.
//!
//! ```
//! use abicall::library::Library;
//! let libc = Library::process(); // the running process: nothing new loads
//! assert!(libc.symbol("strlen").unwrap().addr() != 0);
//! ```

use crate::decls::{FuncDecl, VarDecl};
use crate::error::{Error, Result};
use crate::memory::{CData, Owner};
use crate::types::Types;
use std::ffi::c_void;
use std::sync::Arc;

/// The name [`Library::open`] takes for the running process.
pub const PROCESS: &str = "-";

struct Loaded {
    name: String,
    lib: libloading::Library,
}

/// A loaded shared object (or the running process). Cheap to clone.
#[derive(Clone)]
pub struct Library {
    inner: Arc<Loaded>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Library({})", self.inner.name)
    }
}

/// The address of a symbol, keeping its library loaded.
#[derive(Clone)]
pub struct Symbol {
    name: String,
    addr: usize,
    lib: Arc<Loaded>,
}

impl std::fmt::Debug for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Symbol({} in {} at {:#x})", self.name, self.lib.name, self.addr)
    }
}

impl Symbol {
    /// The symbol's name as looked up.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its address (valid while this `Symbol` or its library lives).
    pub fn addr(&self) -> usize {
        self.addr
    }

    /// Its address as a raw pointer.
    pub fn as_ptr(&self) -> *mut c_void {
        self.addr as *mut c_void
    }

    /// The library it came from.
    pub fn library(&self) -> Library {
        Library {
            inner: self.lib.clone(),
        }
    }

    /// An owner that keeps the library loaded (for views of its memory).
    pub fn owner(&self) -> Owner {
        self.lib.clone()
    }
}

impl Library {
    /// Opens a shared object by path (`./libfoo.so`, `/usr/lib/...`) or by
    /// soname (`libm.so.6`, searched like `dlopen` does). `"-"` (or `""`)
    /// means the running process itself: its executable and every library
    /// already loaded (libc, libm, ...).
    ///
    /// # Safety
    /// Loading a shared object runs its initializers (and those of its
    /// dependencies), arbitrary native code: the caller vouches that doing
    /// so is sound, as with `libloading::Library::new`. See the crate's
    /// [safety model](crate#safety-model).
    pub unsafe fn open(name: &str) -> Result<Library> {
        if name.is_empty() || name == PROCESS {
            return Ok(Library::process());
        }
        // SAFETY: loading runs the library's initializers, which this
        // function's own contract puts on the caller.
        let lib = unsafe { libloading::Library::new(name) }.map_err(|e| Error::LibraryOpen {
            library: name.to_string(),
            message: source_message(&e),
        })?;
        Ok(Library {
            inner: Arc::new(Loaded {
                name: name.to_string(),
                lib,
            }),
        })
    }

    /// Opens a shared object with explicit `dlopen` flags: `global` makes
    /// its symbols available to libraries loaded later and to
    /// [`Library::process`] (`RTLD_GLOBAL` instead of `RTLD_LOCAL`); `now`
    /// resolves every undefined symbol at once, so a missing dependency is
    /// reported here rather than at the first call (`RTLD_NOW` instead of
    /// `RTLD_LAZY`). `"-"` still means the running process.
    ///
    /// # Safety
    /// As for [`Library::open`]: the library's initializers run.
    pub unsafe fn open_with(name: &str, global: bool, now: bool) -> Result<Library> {
        use libloading::os::unix::{Library as UnixLib, RTLD_GLOBAL, RTLD_LAZY, RTLD_LOCAL, RTLD_NOW};
        if name.is_empty() || name == PROCESS {
            return Ok(Library::process());
        }
        let flags = (if global { RTLD_GLOBAL } else { RTLD_LOCAL }) | (if now { RTLD_NOW } else { RTLD_LAZY });
        // SAFETY: running the library's initializers is what this
        // function's contract puts on the caller (as for `open`).
        let lib = unsafe { UnixLib::open(Some(name), flags) }.map_err(|e| Error::LibraryOpen {
            library: name.to_string(),
            message: source_message(&e),
        })?;
        Ok(Library {
            inner: Arc::new(Loaded {
                name: name.to_string(),
                lib: lib.into(),
            }),
        })
    }

    /// Opens `name`, or the running process for `None`.
    ///
    /// # Safety
    /// As for [`Library::open`].
    pub unsafe fn open_opt(name: Option<&str>) -> Result<Library> {
        // SAFETY: the caller's contract is `open`'s.
        unsafe { Library::open(name.unwrap_or(PROCESS)) }
    }

    /// The running process: symbols of the executable and of every library
    /// loaded into it (`dlopen(NULL)`).
    pub fn process() -> Library {
        // abicall's targets are all Unix (SysV x86_64, AAPCS64 Linux/Apple).
        let lib: libloading::Library = libloading::os::unix::Library::this().into();
        Library {
            inner: Arc::new(Loaded {
                name: PROCESS.to_string(),
                lib,
            }),
        }
    }

    /// The name it was opened with (`-` for the process).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Looks a symbol up by its exact name.
    pub fn symbol(&self, name: &str) -> Result<Symbol> {
        let not_found = |message: String| Error::SymbolNotFound {
            library: self.inner.name.clone(),
            symbol: name.to_string(),
            message,
        };
        if name.as_bytes().contains(&0) {
            return Err(not_found("the name contains a NUL byte".to_string()));
        }
        // SAFETY: the symbol is only read as an address (`*mut c_void`), never
        // called or dereferenced here.
        let sym =
            unsafe { self.inner.lib.get::<*mut c_void>(name.as_bytes()) }.map_err(|e| not_found(source_message(&e)))?;
        let addr = *sym as usize;
        if addr == 0 {
            return Err(not_found(
                "the symbol's address is NULL (undefined weak symbol)".to_string(),
            ));
        }
        Ok(Symbol {
            name: name.to_string(),
            addr,
            lib: self.inner.clone(),
        })
    }

    /// The symbol of a declared function (its `__asm__` name if renamed).
    pub fn function(&self, decl: &FuncDecl) -> Result<Symbol> {
        self.symbol(decl.symbol())
    }

    /// A view of a declared `extern` variable (looked up by its `__asm__`
    /// name if renamed): read and write it with [`CData::read`] /
    /// [`CData::write`]. The view keeps the library loaded and is bounded by
    /// the variable's declared size.
    ///
    /// A global is shared with C code and with other threads (each may
    /// hold its own view); synchronizing access is the caller's job, as in C.
    ///
    /// # Safety
    /// The declaration must be true: the symbol is an object of at least
    /// the declared type's size, laid out as declared, that stays valid
    /// while the library is loaded. The returned view reads and writes
    /// within that size without further checks on the symbol.
    pub unsafe fn variable(&self, types: &Types, decl: &VarDecl) -> Result<CData> {
        let sym = self.symbol(decl.symbol())?;
        let size = types.size_of(decl.ty)? as usize;
        // SAFETY: this function's contract: the symbol is an object of the
        // declared type and size; `owner` keeps the library, and so the
        // object, loaded for the view's life.
        Ok(unsafe { CData::from_raw(decl.ty, sym.addr as *mut u8, size, Some(sym.owner())) })
    }
}

/// The loader's message (the `dlerror()` text) without libloading's prefix.
fn source_message(e: &libloading::Error) -> String {
    use std::error::Error as _;
    match e.source() {
        Some(s) => s.to_string(),
        None => e.to_string(),
    }
}
