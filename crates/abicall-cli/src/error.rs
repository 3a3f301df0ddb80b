//! The command's error: the engine's [`abicall::Error`] kept whole (its
//! variant, fields and `source()` chain), located in a file when it comes
//! from one, or a message about the command line itself.

use std::fmt;

/// An error of the `abicall` command.
#[derive(Debug)]
pub enum CliError {
    /// From the engine.
    Engine(abicall::Error),
    /// From the engine, while reading `file` (a `--cdef` file, a
    /// preprocessed `--header`, the prototype or a cast): printed as
    /// `file:line:col: message` for parse errors.
    Located {
        /// What was being read.
        file: String,
        /// The engine's error.
        error: abicall::Error,
    },
    /// The command line itself: argument count, a malformed literal, an
    /// option that does not apply.
    Usage(String),
}

/// `Result` with [`CliError`].
pub type Result<T> = std::result::Result<T, CliError>;

impl CliError {
    /// `error` met while reading `file`.
    pub fn located(file: &str, error: abicall::Error) -> CliError {
        CliError::Located {
            file: file.to_string(),
            error,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Engine(e) => e.fmt(f),
            CliError::Located {
                file,
                error: abicall::Error::Parse { line, col, message, .. },
            } => write!(f, "{file}:{line}:{col}: {message}"),
            CliError::Located { file, error } => write!(f, "{file}: {error}"),
            CliError::Usage(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CliError::Engine(e) | CliError::Located { error: e, .. } => Some(e),
            CliError::Usage(_) => None,
        }
    }
}

impl From<abicall::Error> for CliError {
    fn from(e: abicall::Error) -> CliError {
        CliError::Engine(e)
    }
}

impl From<String> for CliError {
    fn from(m: String) -> CliError {
        CliError::Usage(m)
    }
}

impl From<&str> for CliError {
    fn from(m: &str) -> CliError {
        CliError::Usage(m.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn engine_errors_keep_their_variant_and_source() {
        let io = std::fs::read_to_string("/nonexistent/abicall.h").unwrap_err();
        let e = CliError::from(abicall::Error::io("cannot read `/nonexistent/abicall.h`", io));
        assert!(
            e.to_string().starts_with("cannot read `/nonexistent/abicall.h`: "),
            "{e}"
        );
        let engine = e.source().expect("the engine error");
        let os = engine.source().expect("the io::Error").source().expect("inner");
        let os = os.downcast_ref::<std::io::Error>().expect("an io::Error");
        assert_eq!(os.kind(), std::io::ErrorKind::NotFound);
        let parse = abicall::Ffi::new(abicall::Target::X86_64SysV)
            .cdef("int f(")
            .unwrap_err();
        let e = CliError::located("x.h", parse);
        assert!(e.to_string().starts_with("x.h:1:"), "{e}");
        assert!(matches!(
            e,
            CliError::Located {
                error: abicall::Error::Parse { .. },
                ..
            }
        ));
    }
}
