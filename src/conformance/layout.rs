//! Layout of every generated aggregate for a target, checked by that
//! target's C compiler with `_Static_assert`s on size, alignment and member
//! offsets (`-c` only: nothing runs).

use super::csrc::record_defs;
use super::signature::Batch;
use super::tools::{compile, TempDir};
use crate::error::Result;
use crate::types::{TypeId, Types};
use std::collections::HashSet;
use std::fmt::Write;
use std::path::Path;

/// C text with the definitions of every record of `batch` and one
/// `_Static_assert` per size, alignment and non-bitfield member offset.
pub fn static_asserts(batch: &Batch) -> String {
    let types = &batch.types;
    let mut out = String::from("#include <stddef.h>\n");
    let mut done = HashSet::new();
    let mut roots = Vec::new();
    for s in &batch.sigs {
        roots.push(s.ret);
        roots.extend(&s.args);
    }
    record_defs(types, &roots, &mut done, &mut out);
    let mut recs: Vec<TypeId> = done.into_iter().collect();
    recs.sort();
    for ty in recs {
        assert_record(types, ty, &mut out);
    }
    out
}

fn assert_record(types: &Types, ty: TypeId, out: &mut String) {
    let (Ok((size, align)), Some(rec)) = (types.size_align(ty), types.record_of(ty)) else {
        return;
    };
    let name = types.display(ty);
    let _ = writeln!(out, "_Static_assert(sizeof({name}) == {size}, \"sizeof({name}) != {size}\");");
    let _ = writeln!(
        out,
        "_Static_assert(_Alignof({name}) == {align}, \"_Alignof({name}) != {align}\");"
    );
    for f in &rec.fields {
        if f.bit.is_some() {
            continue;
        }
        let Some(m) = &f.name else { continue };
        let _ = writeln!(
            out,
            "_Static_assert(offsetof({name}, {m}) == {o}, \"offsetof({name}, {m}) != {o}\");",
            o = f.offset
        );
    }
}

/// Compiles the assertions of `batch` with `cc -c`; `Err` carries the
/// compiler's messages (each names the record and the disagreeing number).
pub fn check_layout(batch: &Batch, cc: &Path) -> Result<()> {
    let dir = TempDir::new("conf-layout")?;
    let obj = dir.path().join("layout.o");
    let obj = obj.to_string_lossy().into_owned();
    compile(cc, dir.path(), "layout", &static_asserts(batch), &["-c", "-w", "-o", &obj])?;
    Ok(())
}
