//! C declaration parser (placeholder until the parser lands).

use crate::decls::Decls;
use crate::error::{Error, ParseErrorKind, Result};
use crate::types::{TypeId, Types};

/// Parses declarations into `types` and `decls`.
pub fn parse(_types: &mut Types, _decls: &mut Decls, _text: &str) -> Result<()> {
    Err(Error::Parse {
        kind: ParseErrorKind::Unsupported,
        line: 1,
        col: 1,
        token: String::new(),
        message: "parser not implemented".into(),
    })
}

/// Parses a type name.
pub fn parse_type_name(_types: &mut Types, _decls: &mut Decls, _text: &str) -> Result<TypeId> {
    Err(Error::Parse {
        kind: ParseErrorKind::Unsupported,
        line: 1,
        col: 1,
        token: String::new(),
        message: "parser not implemented".into(),
    })
}
