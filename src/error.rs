//! The one error type. Every variant says what was wrong and where.

/// What kind of problem a declaration parse error is (stable, for tests and
/// for embedders that want to react to a category).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// A character that cannot start any C token.
    InvalidCharacter,
    /// A malformed literal (number, char, string).
    InvalidLiteral,
    /// Comment or string literal not closed before the end of input.
    Unterminated,
    /// A token that cannot appear here.
    UnexpectedToken,
    /// The input ended in the middle of a declaration.
    UnexpectedEof,
    /// A name used as a type that is not one.
    UnknownType,
    /// An identifier used in a constant expression that is not a constant.
    UnknownIdentifier,
    /// A constant expression that cannot be evaluated (division by zero,
    /// overflow, not constant, negative array size, ...).
    ConstExpr,
    /// A name or tag defined twice with different meanings.
    Redefinition,
    /// A declaration that is valid C for which the type is invalid
    /// (bitfield too wide, array of functions, incomplete member, ...).
    InvalidType,
    /// Valid C that abicall does not support (K&R definitions, function bodies, ...).
    Unsupported,
    /// Declarators, expressions or brackets nested deeper than the parser's
    /// limit (256 levels).
    NestingTooDeep,
}

/// What kind of memory misuse a [`Error::Memory`] is (stable, for hosts
/// that map errors to their own exceptions: an interpreter raises its index
/// error for [`MemoryErrorKind::OutOfBounds`], its null-pointer error for
/// [`MemoryErrorKind::Null`], and so on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryErrorKind {
    /// An index, offset or byte range outside the object's known extent.
    OutOfBounds,
    /// A NULL pointer where an object is needed.
    Null,
    /// An address that does not come from memory abicall knows about.
    Untracked,
    /// A size or element count that overflows, or a buffer too small for its type.
    Size,
    /// The allocator returned no memory.
    OutOfMemory,
    /// An operation the object's type does not allow (reading `void`,
    /// indexing a non-array, the address of a bitfield, an incomplete type...).
    WrongType,
    /// Text that is not valid in its encoding (UTF-16, code points).
    Encoding,
    /// A type id from another type table.
    ForeignType,
    /// A resource the process ran out of (handle slots) or a declared
    /// object that is not available.
    Unavailable,
}

/// What kind of layout error an [`Error::Layout`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LayoutErrorKind {
    /// A type with no size where one is needed: `void`, a function type,
    /// an incomplete struct, union or enum (also as a member).
    Incomplete,
    /// A requested alignment that is not a power of two or too large, or
    /// array elements aligned more than their size.
    Alignment,
    /// A bitfield that is too wide, of a non-integer type, or zero-width
    /// and named.
    Bitfield,
    /// A flexible array member that is not the last member.
    FlexibleArray,
    /// A duplicate member name, or an unnamed member that is not a record.
    Member,
    /// A size that overflows (an array or record too large).
    TooLarge,
    /// Types nested deeper than the limit (256 levels).
    TooDeep,
    /// An invalid vector type (element type, size, element count).
    Vector,
    /// An enum whose enumerators do not fit its underlying type.
    Enum,
    /// Completing a type that is not a record or enum, or is already complete.
    Definition,
    /// A type id from another type table.
    ForeignType,
}

/// What kind of planning error an [`Error::Abi`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AbiErrorKind {
    /// The number of arguments does not match the named parameters.
    ArgumentCount,
    /// The type called is not a function type (or a pointer to one).
    NotAFunction,
    /// Extra arguments for a function that is not variadic.
    NotVariadic,
    /// A type that cannot be passed (`void`, a function, an array) or
    /// returned (a function, an array).
    NotPassable,
    /// A parameter or return type that is incomplete.
    Incomplete,
    /// A value too large to pass by value ([`crate::abi::MAX_BY_VALUE`]).
    TooLarge,
    /// A signature this target's ABI can express that abicall (or libffi)
    /// does not support, with the reason in the message.
    Unsupported,
}

/// What kind of call error an [`Error::Call`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallErrorKind {
    /// The name or type called is not a function (a variable, a non-function type).
    NotAFunction,
    /// Variadic argument types for a function that is not variadic.
    NotVariadic,
    /// The wrong number of arguments (or variadic argument types).
    ArgumentCount,
    /// NULL where a function, an argument's bytes or a result buffer is needed.
    Null,
    /// The tier asked for cannot run this call or callback on this host.
    Tier,
    /// Something abicall does not do (variadic callbacks, a signature
    /// libffi refuses).
    Unsupported,
    /// Memory or another resource could not be had (closure allocation,
    /// argument copies, a frame over its limit).
    Resource,
    /// A declared name whose symbol the library does not provide.
    Unavailable,
    /// A value that does not fit what it is for (an argument's size, an
    /// error return value's size).
    Invalid,
    /// Raised by code outside abicall (tools, examples) for its own reasons.
    Other,
}

/// abicall's error type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A C declaration could not be parsed.
    #[error("{line}:{col}: {message}")]
    Parse {
        /// Category.
        kind: ParseErrorKind,
        /// 1-based line in the declaration text.
        line: u32,
        /// 1-based column (in characters) in the declaration text.
        col: u32,
        /// The offending token's text (empty at end of input).
        token: String,
        /// A message saying what was found and what was expected.
        message: String,
    },
    /// A type could not be laid out (bad bitfield, incomplete member, ...).
    #[error("layout error: {message}")]
    Layout {
        /// Category, for a caller that branches on it.
        kind: LayoutErrorKind,
        /// The type concerned as C spells it (empty when not known).
        ty: String,
        /// What is wrong, with the sizes and names involved.
        message: String,
    },
    /// A call plan cannot be made for a signature (incomplete or unsized
    /// parameter type, `void` parameter, ...).
    #[error("call plan: {message}")]
    Abi {
        /// Category, for a caller that branches on it.
        kind: AbiErrorKind,
        /// The 0-based argument concerned, if one is.
        argument: Option<usize>,
        /// What is wrong, naming the argument and its type.
        message: String,
    },
    /// A member path such as `a.b[3]` does not resolve.
    #[error("member path `{path}`: {message}")]
    Path {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A type name that is not declared.
    #[error("unknown type `{0}`")]
    UnknownType(String),
    /// A name (function, variable, constant) that is not declared.
    #[error("`{0}` is not declared")]
    UnknownName(String),
    /// A call could not be prepared or made (argument count, NULL where a
    /// value is needed, wrong host, libffi refusal, ...).
    #[error("call error: {message}")]
    Call {
        /// Category, for a caller that branches on it.
        kind: CallErrorKind,
        /// The 0-based argument concerned, if one is.
        argument: Option<usize>,
        /// What went wrong.
        message: String,
    },
    /// Running code for `target` needs that target's host: calls and
    /// callbacks for another target's type table, or a host abicall does
    /// not support (`host` is `None`).
    #[error("call error: {message}")]
    Host {
        /// The target the types were laid out for (`None`: the host's own, unsupported).
        target: Option<crate::target::Target>,
        /// This machine's target, if abicall supports it.
        host: Option<crate::target::Target>,
        /// What could not be done, e.g. "cannot make callbacks for target aarch64 on this host".
        message: String,
    },
    /// An argument of a call could not be converted (wrong type, out of
    /// range, NULL where a value is needed, ...).
    #[error("{}argument {index}: {message}", if function.is_empty() { String::new() } else { format!("`{function}`, ") })]
    Argument {
        /// The function called (empty when not known).
        function: String,
        /// 1-based argument number.
        index: usize,
        /// What is wrong, e.g. "cannot convert to `int`: integer 5000000000 is out of range".
        message: String,
    },
    /// Input/output problem (reading a --cdef file, running the preprocessor).
    #[error("{message}")]
    Io {
        /// What was being done, with the OS error's text when there is one.
        message: String,
        /// The operating system's error, kept for `source()` and its kind.
        #[source]
        source: Option<IoSource>,
    },
    /// A shared object could not be opened.
    #[error("cannot open library `{library}`: {message}")]
    LibraryOpen {
        /// The path or soname as given (`-` for the running process).
        library: String,
        /// The loader's explanation (`dlerror()`).
        message: String,
    },
    /// A symbol is not defined in a library.
    #[error("symbol `{symbol}` not found in library `{library}`: {message}")]
    SymbolNotFound {
        /// The library searched (`-` for the running process).
        library: String,
        /// The symbol name looked up (after any `__asm__` rename).
        symbol: String,
        /// The loader's explanation (`dlerror()`).
        message: String,
    },
    /// A value cannot be converted to a C type (out of range integer, float
    /// given for an integer, NULL for a struct, too many initializers, ...).
    #[error("cannot convert to `{ty}`: {message}")]
    Convert {
        /// The C type that was to receive the value.
        ty: String,
        /// What was wrong with the value.
        message: String,
    },
    /// Misuse of C memory: index out of bounds, access outside the known
    /// extent of an object, allocation failure, address of a bitfield, ...
    #[error("{message}")]
    Memory {
        /// Category, for a host that branches on it.
        kind: MemoryErrorKind,
        /// What was wrong, with the sizes, indices and type involved.
        message: String,
    },
    /// A handle pointer that abicall did not issue, or whose handle was freed.
    #[error("invalid handle {0:#x}: not issued by this process or already freed")]
    Handle(usize),
}

/// An `std::io::Error` inside [`Error::Io`], shared so the error stays
/// `Clone`; two compare equal when their kind and text do.
#[derive(Debug, Clone)]
pub struct IoSource(pub std::sync::Arc<std::io::Error>);

impl PartialEq for IoSource {
    fn eq(&self, o: &IoSource) -> bool {
        self.0.kind() == o.0.kind() && self.0.to_string() == o.0.to_string()
    }
}

impl std::fmt::Display for IoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoSource {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl Error {
    /// An [`Error::Layout`] of `kind` about type `ty` (C spelling, or empty).
    pub fn layout(kind: LayoutErrorKind, ty: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Layout {
            kind,
            ty: ty.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Call`] of `kind`, about argument `argument` if given.
    pub fn call(kind: CallErrorKind, argument: Option<usize>, message: impl Into<String>) -> Error {
        Error::Call {
            kind,
            argument,
            message: message.into(),
        }
    }

    /// An [`Error::Abi`] of `kind`, about argument `argument` if given.
    pub fn abi(kind: AbiErrorKind, argument: Option<usize>, message: impl Into<String>) -> Error {
        Error::Abi {
            kind,
            argument,
            message: message.into(),
        }
    }

    /// An [`Error::Memory`] of `kind`.
    pub fn memory(kind: MemoryErrorKind, message: impl Into<String>) -> Error {
        Error::Memory {
            kind,
            message: message.into(),
        }
    }

    /// An [`Error::Io`] for `context` ("cannot read `x.h`") caused by `e`:
    /// the message is `context: e`, and `source()` is `e`.
    pub fn io(context: impl std::fmt::Display, e: std::io::Error) -> Error {
        Error::Io {
            message: format!("{context}: {e}"),
            source: Some(IoSource(std::sync::Arc::new(e))),
        }
    }

    /// An [`Error::Io`] with no operating-system error behind it.
    pub fn io_msg(message: impl Into<String>) -> Error {
        Error::Io {
            message: message.into(),
            source: None,
        }
    }

    /// The `std::io::Error` behind an [`Error::Io`], if any.
    pub fn io_source(&self) -> Option<&std::io::Error> {
        match self {
            Error::Io { source: Some(s), .. } => Some(&s.0),
            _ => None,
        }
    }

    /// The message without location prefix.
    pub fn message(&self) -> String {
        match self {
            Error::Parse { message, .. } => message.clone(),
            Error::Layout { message, .. } | Error::Abi { message, .. } | Error::Call { message, .. } => message.clone(),
            Error::Memory { message, .. } => message.clone(),
            Error::Host { message, .. } => message.clone(),
            Error::Io { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
