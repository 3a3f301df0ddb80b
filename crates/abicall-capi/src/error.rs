//! Status codes, the error-out struct, and the guard every entry runs in:
//! `catch_unwind` around the body, so no panic ever unwinds into C.

use abicall::error::{Error, ParseErrorKind};
use std::any::Any;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Size of `abicall_error.message` in bytes, including the terminating NUL.
pub const ABICALL_ERROR_MESSAGE_SIZE: usize = 512;

/// What every entry returns. `ABICALL_OK` is 0; the others say what kind of
/// problem the message in `abicall_error` describes. The numbers are stable.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum abicall_status {
    /// Success.
    ABICALL_OK = 0,
    /// A C declaration could not be parsed (`line` / `col` are set).
    ABICALL_E_PARSE = 1,
    /// A type could not be laid out.
    ABICALL_E_LAYOUT = 2,
    /// A call plan cannot be made for the signature.
    ABICALL_E_ABI = 3,
    /// A member path (`offsetof`) does not resolve.
    ABICALL_E_PATH = 4,
    /// A type name that is not declared (a misspelt typedef name; `line` /
    /// `col` are set as for `ABICALL_E_PARSE`), or a struct, union or enum
    /// used where its layout is needed but never defined.
    ABICALL_E_UNKNOWN_TYPE = 5,
    /// A function, variable or constant name that is not declared.
    ABICALL_E_UNKNOWN_NAME = 6,
    /// A call could not be prepared or made (wrong host, NULL argument
    /// pointer, not variadic, ...).
    ABICALL_E_CALL = 7,
    /// An argument value could not be converted.
    ABICALL_E_ARGUMENT = 8,
    /// An input/output problem.
    ABICALL_E_IO = 9,
    /// A shared object could not be opened.
    ABICALL_E_LIBRARY_OPEN = 10,
    /// A symbol is not defined in a library.
    ABICALL_E_SYMBOL_NOT_FOUND = 11,
    /// A value cannot be converted to a C type.
    ABICALL_E_CONVERT = 12,
    /// Misuse of C memory or an allocation failure.
    ABICALL_E_MEMORY = 13,
    /// A `void *` token that is not a live handle (see `abicall_handle_get`).
    ABICALL_E_HANDLE = 14,
    /// A required pointer argument (handle, string, out-pointer) is NULL.
    ABICALL_E_NULL_ARG = 15,
    /// An argument is invalid: not UTF-8, unknown target name, a type of
    /// another context, an index out of range, ...
    ABICALL_E_INVALID_ARG = 16,
    /// An abicall handle was used (or freed again) after it was freed.
    ABICALL_E_FREED = 17,
    /// A pointer given as an abicall handle is not one of the expected kind.
    ABICALL_E_BAD_HANDLE = 18,
    /// An internal error (a panic inside abicall, caught at the boundary).
    ABICALL_E_PANIC = 19,
    /// A callback run during the call failed (its function returned a
    /// status other than `ABICALL_OK`, or it was called from a thread
    /// other than its owner): C received the callback's error value, and
    /// the message names the failure.
    ABICALL_E_CALLBACK = 20,
    /// A `size` field of an options struct that this library does not
    /// know (a header newer than the library, or `size` not set).
    ABICALL_E_VERSION = 21,
}

use abicall_status::*;

/// Details of a failure, filled by every entry that returns a status other
/// than `ABICALL_OK` (and left untouched on success). The caller owns it,
/// usually on its stack; nothing in it needs freeing. Pass NULL to an entry
/// to get the status only.
#[repr(C)]
pub struct abicall_error {
    /// The status the entry returned.
    pub status: abicall_status,
    /// For `ABICALL_E_PARSE`: 1-based line in the declaration text (else 0).
    pub line: u32,
    /// For `ABICALL_E_PARSE`: 1-based column in the declaration text (else 0).
    pub col: u32,
    /// What went wrong and where, NUL-terminated UTF-8 (cut at a character
    /// boundary if longer than the buffer).
    pub message: [c_char; ABICALL_ERROR_MESSAGE_SIZE],
}

/// A failure on its way to C.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) status: abicall_status,
    pub(crate) message: String,
    line: u32,
    col: u32,
}

impl Fail {
    pub(crate) fn new(status: abicall_status, message: impl Into<String>) -> Fail {
        Fail {
            status,
            message: message.into(),
            line: 0,
            col: 0,
        }
    }

    /// A NULL pointer given for argument `arg`.
    pub(crate) fn null(arg: &str) -> Fail {
        Fail::new(ABICALL_E_NULL_ARG, format!("`{arg}` is NULL"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Fail {
        Fail::new(ABICALL_E_INVALID_ARG, message)
    }

    fn panic(payload: Box<dyn Any + Send>) -> Fail {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string());
        Fail::new(
            ABICALL_E_PANIC,
            format!("internal error (panic caught at the C boundary): {what}"),
        )
    }

    /// Writes the details to `err` (if not NULL).
    ///
    /// # Safety
    /// `err` is NULL or points to writable memory for an `abicall_error`.
    unsafe fn write_to(&self, err: *mut abicall_error) {
        if err.is_null() {
            return;
        }
        let mut n = self.message.len().min(ABICALL_ERROR_MESSAGE_SIZE - 1);
        while !self.message.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: `err` is writable (contract); every field is written through
        // raw field pointers, so the (possibly uninitialised) struct is never
        // read, and `n + 1 <= ABICALL_ERROR_MESSAGE_SIZE` bytes fit the buffer.
        unsafe {
            std::ptr::addr_of_mut!((*err).status).write(self.status);
            std::ptr::addr_of_mut!((*err).line).write(self.line);
            std::ptr::addr_of_mut!((*err).col).write(self.col);
            let msg = std::ptr::addr_of_mut!((*err).message) as *mut u8;
            std::ptr::copy_nonoverlapping(self.message.as_ptr(), msg, n);
            msg.add(n).write(0);
        }
    }
}

/// The status for each kind of [`Error`].
pub(crate) fn status_of(e: &Error) -> abicall_status {
    match e {
        Error::Parse {
            kind: ParseErrorKind::UnknownType,
            ..
        } => ABICALL_E_UNKNOWN_TYPE,
        Error::Parse { .. } => ABICALL_E_PARSE,
        Error::Layout { .. } => ABICALL_E_LAYOUT,
        Error::Abi { .. } => ABICALL_E_ABI,
        Error::Path { .. } => ABICALL_E_PATH,
        Error::UnknownType(_) => ABICALL_E_UNKNOWN_TYPE,
        Error::UnknownName(_) => ABICALL_E_UNKNOWN_NAME,
        Error::Call { .. } | Error::Host { .. } => ABICALL_E_CALL,
        Error::Argument { .. } => ABICALL_E_ARGUMENT,
        Error::Io { .. } => ABICALL_E_IO,
        Error::LibraryOpen { .. } => ABICALL_E_LIBRARY_OPEN,
        Error::SymbolNotFound { .. } => ABICALL_E_SYMBOL_NOT_FOUND,
        Error::Convert { .. } => ABICALL_E_CONVERT,
        Error::Memory { .. } => ABICALL_E_MEMORY,
        Error::Handle(_) => ABICALL_E_HANDLE,
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        let (line, col) = match &e {
            Error::Parse { line, col, .. } => (*line, *col),
            _ => (0, 0),
        };
        // A parse error's position is in `line` / `col`; the message does
        // not repeat it.
        let message = match &e {
            Error::Parse { .. } => e.message(),
            _ => e.to_string(),
        };
        Fail {
            status: status_of(&e),
            message,
            line,
            col,
        }
    }
}

/// Runs an entry's body: a panic becomes `ABICALL_E_PANIC`, a failure is
/// written to `err`; returns the status.
///
/// # Safety
/// `err` is NULL or points to writable memory for an `abicall_error`.
#[inline]
pub(crate) unsafe fn entry(err: *mut abicall_error, body: impl FnOnce() -> Result<(), Fail>) -> abicall_status {
    let fail = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return ABICALL_OK,
        Ok(Err(f)) => f,
        Err(payload) => Fail::panic(payload),
    };
    // Writing the details cannot panic, but the boundary promise is absolute.
    let written = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `entry`'s contract holds: `err` is NULL or points to writable memory for an
        // `abicall_error`.
        unsafe { fail.write_to(err) }
    }));
    if written.is_err() {
        return ABICALL_E_PANIC;
    }
    fail.status
}

/// The name of a status (`"ABICALL_E_PARSE"`), for messages.
pub(crate) fn status_name(status: i32) -> &'static std::ffi::CStr {
    const NAMES: [&std::ffi::CStr; 22] = [
        c"ABICALL_OK",
        c"ABICALL_E_PARSE",
        c"ABICALL_E_LAYOUT",
        c"ABICALL_E_ABI",
        c"ABICALL_E_PATH",
        c"ABICALL_E_UNKNOWN_TYPE",
        c"ABICALL_E_UNKNOWN_NAME",
        c"ABICALL_E_CALL",
        c"ABICALL_E_ARGUMENT",
        c"ABICALL_E_IO",
        c"ABICALL_E_LIBRARY_OPEN",
        c"ABICALL_E_SYMBOL_NOT_FOUND",
        c"ABICALL_E_CONVERT",
        c"ABICALL_E_MEMORY",
        c"ABICALL_E_HANDLE",
        c"ABICALL_E_NULL_ARG",
        c"ABICALL_E_INVALID_ARG",
        c"ABICALL_E_FREED",
        c"ABICALL_E_BAD_HANDLE",
        c"ABICALL_E_PANIC",
        c"ABICALL_E_CALLBACK",
        c"ABICALL_E_VERSION",
    ];
    usize::try_from(status)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
        .unwrap_or(c"ABICALL_E_UNKNOWN_STATUS")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> abicall_error {
        abicall_error {
            status: ABICALL_OK,
            line: 0,
            col: 0,
            message: [0; ABICALL_ERROR_MESSAGE_SIZE],
        }
    }

    fn text(e: &abicall_error) -> String {
        // SAFETY: `entry` NUL-terminates the message.
        unsafe { std::ffi::CStr::from_ptr(e.message.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_in_an_entry_becomes_a_status() {
        let mut e = blank();
        // SAFETY: `e` is writable.
        let s = unsafe { entry(&mut e, || panic!("boom {}", 42)) };
        assert_eq!((s, e.status), (ABICALL_E_PANIC, ABICALL_E_PANIC));
        assert_eq!(text(&e), "internal error (panic caught at the C boundary): boom 42");
        // SAFETY: NULL error pointer is allowed.
        let s = unsafe { entry(std::ptr::null_mut(), || panic!("again")) };
        assert_eq!(s, ABICALL_E_PANIC);
    }

    #[test]
    fn parse_errors_carry_line_and_column() {
        let mut e = blank();
        let err = Error::Parse {
            kind: abicall::ParseErrorKind::UnexpectedToken,
            line: 3,
            col: 9,
            token: "y".into(),
            message: "expected `;`".into(),
        };
        // SAFETY: `e` is writable.
        let s = unsafe { entry(&mut e, || Err(err.into())) };
        assert_eq!((s, e.line, e.col), (ABICALL_E_PARSE, 3, 9));
        assert_eq!(text(&e), "expected `;`", "the position is in line/col, not repeated");
    }

    #[test]
    fn every_status_has_its_name() {
        for (i, s) in [ABICALL_OK, ABICALL_E_HANDLE, ABICALL_E_PANIC].into_iter().enumerate() {
            let want = ["ABICALL_OK", "ABICALL_E_HANDLE", "ABICALL_E_PANIC"][i];
            assert_eq!(status_name(s as i32).to_str().unwrap(), want);
        }
        assert_eq!(
            status_name(ABICALL_E_VERSION as i32 + 1).to_str().unwrap(),
            "ABICALL_E_UNKNOWN_STATUS"
        );
    }
}
