//! Building an `Ffi` context from `--target`, `--cdef` and `--header` options.

use crate::error::{CliError, Result};
use abicall::{Error, Ffi, Target};
use clap::Args;

/// Options shared by the subcommands that read declarations.
#[derive(Args, Debug, Clone)]
pub struct DeclArgs {
    /// Target ABI: x86_64, aarch64 or aarch64-apple (default: the host).
    #[arg(long, short = 't')]
    pub target: Option<String>,
    /// A file of C declarations to parse (repeatable).
    #[arg(long = "cdef", value_name = "FILE")]
    pub cdef: Vec<String>,
    /// A C header to run through the system preprocessor and parse (repeatable).
    #[arg(long = "header", value_name = "H.h")]
    pub header: Vec<String>,
    /// Extra include directory for --header (repeatable).
    #[arg(short = 'I', value_name = "DIR")]
    pub include: Vec<String>,
    /// Extra macro definition for --header (repeatable), e.g. -D_GNU_SOURCE.
    #[arg(short = 'D', value_name = "NAME[=VALUE]")]
    pub define: Vec<String>,
}

impl DeclArgs {
    /// The target chosen on the command line, or the host's.
    pub fn target(&self) -> Result<Target> {
        match &self.target {
            Some(t) => t
                .parse()
                .map_err(|e: abicall::target::UnknownTarget| CliError::Usage(e.to_string())),
            None => Target::host().ok_or_else(|| "this host is not a supported target; pass --target".into()),
        }
    }

    /// A context with every --header and --cdef parsed, in that order.
    pub fn build(&self) -> Result<Ffi> {
        let target = self.target()?;
        let mut ffi = Ffi::new(target);
        let mut extra: Vec<String> = self.include.iter().map(|i| format!("-I{i}")).collect();
        extra.extend(self.define.iter().map(|d| format!("-D{d}")));
        for h in &self.header {
            let text = abicall::header::preprocess(target, h, &extra)?;
            ffi.cdef(&text)
                .map_err(|e| CliError::located(&format!("{h} (preprocessed)"), e))?;
        }
        for f in &self.cdef {
            let text = std::fs::read_to_string(f).map_err(|e| Error::io(format!("cannot read `{f}`"), e))?;
            ffi.cdef(&text).map_err(|e| CliError::located(f, e))?;
        }
        Ok(ffi)
    }
}
