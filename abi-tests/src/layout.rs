//! Layout of every generated aggregate for a target, checked by that
//! target's C compiler with `_Static_assert`s on size, alignment and member
//! offsets (`-c` only: nothing runs). Each assertion names the signature
//! that first uses the record, so a disagreement maps back to a signature.

use super::csrc::record_defs;
use super::signature::Batch;
use super::tools::{find_tool, TempDir};
use super::{Direction, Failure};
use abicall::error::{Error, Result};
use abicall::types::{TypeId, TypeKind, Types};
use abicall::Target;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::ops::Range;
use std::process::Command;

/// C text with the definitions of every record used by signatures `range`
/// of `batch` and one `_Static_assert` per size, alignment and named
/// non-bitfield member offset. Messages start with `sig <k>:`.
pub fn static_asserts(batch: &Batch, range: Range<usize>) -> String {
    let types = &batch.types;
    let mut out = String::from("#include <stddef.h>\n");
    let mut done = HashSet::new();
    let mut asserted = HashSet::new();
    for k in range {
        let s = &batch.sigs[k];
        let mut roots = vec![s.ret];
        roots.extend(&s.args);
        record_defs(types, &roots, &mut done, &mut out);
        let mut recs = Vec::new();
        for r in roots {
            collect(types, r, &mut recs);
        }
        for ty in recs {
            if asserted.insert(ty) {
                assert_record(types, ty, k, &mut out);
            }
        }
    }
    out
}

fn collect(types: &Types, ty: TypeId, out: &mut Vec<TypeId>) {
    match types.kind(ty) {
        TypeKind::Pointer(p) => collect(types, *p, out),
        TypeKind::Array { elem, .. } => collect(types, *elem, out),
        TypeKind::Record(_) => {
            if out.contains(&ty) {
                return;
            }
            out.push(ty);
            if let Some(rec) = types.record_of(ty) {
                for f in &rec.fields {
                    collect(types, f.ty, out);
                }
            }
        }
        _ => {}
    }
}

fn assert_record(types: &Types, ty: TypeId, k: usize, out: &mut String) {
    let (Ok((size, align)), Some(rec)) = (types.size_align(ty), types.record_of(ty)) else {
        return;
    };
    let name = types.display(ty);
    let _ = writeln!(
        out,
        "_Static_assert(sizeof({name}) == {size}, \"sig {k}: abicall says sizeof({name}) == {size}\");"
    );
    let _ = writeln!(
        out,
        "_Static_assert(_Alignof({name}) == {align}, \"sig {k}: abicall says _Alignof({name}) == {align}\");"
    );
    for f in &rec.fields {
        if f.bit.is_some() {
            continue;
        }
        let Some(m) = &f.name else { continue };
        let _ = writeln!(
            out,
            "_Static_assert(offsetof({name}, {m}) == {o}, \"sig {k}: abicall says offsetof({name}, {m}) == {o}\");",
            o = f.offset
        );
    }
}

/// Compiles the assertions for signatures `range` of `batch` with the
/// target's gcc (`-c`); every failed assertion becomes a [`Failure`] of the
/// signature it names.
pub fn run_range(batch: &Batch, range: Range<usize>) -> Result<Vec<Failure>> {
    let (cc, pkg) = match batch.types.target() {
        Target::X86_64SysV => ("gcc", "gcc"),
        Target::Aarch64Linux if super::tools::machine_arch() == "aarch64" => ("gcc", "gcc"),
        Target::Aarch64Linux => ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
        Target::Aarch64Apple => return Ok(Vec::new()),
    };
    let cc = find_tool(cc, pkg)?;
    let dir = TempDir::new("conf-layout")?;
    let cfile = dir.path().join("layout.c");
    let src = static_asserts(batch, range.clone());
    std::fs::write(&cfile, &src).map_err(|e| Error::io(format!("cannot write {}", cfile.display()), e))?;
    let out = Command::new(&cc)
        .args(["-std=gnu11", "-fsyntax-only", "-w"])
        .arg(&cfile)
        .output()
        .map_err(|e| Error::io(format!("cannot run {}", cc.display()), e))?;
    if out.status.success() {
        return Ok(Vec::new());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let mut by_sig: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for line in err.lines() {
        if let Some(p) = line.find("\"sig ") {
            let rest = &line[p + 5..];
            let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(k) = n.parse::<usize>() {
                let msg = rest.split_once(": ").map_or(rest, |(_, m)| m).trim_end_matches('"');
                by_sig.entry(k).or_default().push(format!("gcc disagrees: {msg}"));
                continue;
            }
        }
    }
    if by_sig.is_empty() {
        // Not an assertion: the generated C itself is wrong.
        return Err(Error::io_msg(format!(
            "{} rejected the layout assertions {}:\n{err}",
            cc.display(),
            cfile.display()
        )));
    }
    Ok(by_sig
        .into_iter()
        .map(|(k, m)| Failure::new(k, Direction::Layout, m.join("\n")))
        .collect())
}
