//! `cargo run --example layout [-- HEADER TYPE]`: prints how aarch64 Linux
//! lays out a struct from a system header — on any host, an x86_64 machine
//! included — next to the x86_64 layout of the same struct.
//!
//! Default: `struct stat` from `sys/stat.h`, which differs between the two
//! (glibc has a separate `struct stat` per architecture). Each header is
//! preprocessed by that target's compiler (`cc -E` for the host,
//! `aarch64-linux-gnu-gcc -E` for aarch64 on x86_64), parsed into a context
//! for that target, and laid out with abicall's own layout rules.

use abicall::types::report;
use abicall::{Ffi, Target};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (header, ty) = match args.as_slice() {
        [] => ("sys/stat.h", "struct stat"),
        [h, t] => (h.as_str(), t.as_str()),
        _ => return Err("usage: layout [HEADER TYPE]   e.g. layout sys/stat.h 'struct stat'".into()),
    };
    for target in [Target::Aarch64Linux, Target::X86_64SysV] {
        let text = abicall::header::preprocess(target, header, &[]).map_err(|e| e.to_string())?;
        let mut ffi = Ffi::new(target);
        ffi.cdef(&text).map_err(|e| format!("{header} for {target}: {e}"))?;
        let id = ffi.type_of(ty).map_err(|e| e.to_string())?;
        println!("== {ty} on {target} ==");
        print!("{}", report::table(&ffi.types(), id, ty).map_err(|e| e.to_string())?);
    }
    Ok(())
}
