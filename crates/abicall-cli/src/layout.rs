//! `abicall layout`: print how the target lays out C types.

use crate::context::DeclArgs;
use crate::error::{CliError, Result};
use abicall::types::report;
use clap::Args;

/// Arguments of `abicall layout`.
#[derive(Args, Debug)]
pub struct LayoutArgs {
    #[command(flatten)]
    decls: DeclArgs,
    /// Print JSON, one object per type per line, instead of tables.
    #[arg(long)]
    json: bool,
    /// Type names: `struct tm`, `z_stream`, `int[3]`, `union u`.
    #[arg(required = true, value_name = "TYPE")]
    types: Vec<String>,
}

/// Runs `abicall layout`.
pub fn run(a: LayoutArgs) -> Result<()> {
    let mut ffi = a.decls.build()?;
    let mut out = String::new();
    for (i, name) in a.types.iter().enumerate() {
        let id = ffi.type_of(name).map_err(|e| CliError::located("type name", e))?;
        let text = if a.json {
            report::json(&ffi.types(), id, name).map(|j| j + "\n")
        } else {
            report::table(&ffi.types(), id, name)
        }
        .map_err(|e| format!("`{name}`: {e}"))?;
        if i > 0 && !a.json {
            out.push('\n');
        }
        out.push_str(&text);
    }
    print!("{out}");
    Ok(())
}
