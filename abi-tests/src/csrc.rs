//! The C text of generated signatures: record definitions, the expected
//! values as byte arrays, and per signature a checking callee and a caller
//! that calls a host callback.

use super::rng::Rng;
use super::signature::{Batch, Signature};
use super::value::{promote, random_value, ValueBytes};
use abicall::types::{Prim, TypeId, TypeKind, Types};
use std::collections::HashSet;
use std::fmt::Write;

/// The values passed and returned for one signature.
#[derive(Clone, Debug)]
pub struct SigValues {
    /// One value per argument.
    pub args: Vec<ValueBytes>,
    /// The return value (empty for `void`).
    pub ret: ValueBytes,
}

/// The reproducible values of `sig`.
pub fn sig_values(types: &Types, sig: &Signature) -> SigValues {
    let mut r = Rng::new(sig.value_seed);
    let args = sig.args.iter().map(|&t| random_value(types, t, &mut r)).collect();
    let ret = if types.as_prim(sig.ret) == Some(Prim::Void) {
        ValueBytes {
            bytes: Vec::new(),
            mask: Vec::new(),
        }
    } else {
        random_value(types, sig.ret, &mut r)
    };
    SigValues { args, ret }
}

/// The C runtime of generated code (`abi-tests/runtime.h`): the failure
/// buffer and the masked byte comparison.
pub const PRELUDE: &str = include_str!("../runtime.h");

/// Emits C definitions for every record reachable from `roots` that is not
/// in `done`, dependencies first.
pub fn record_defs(types: &Types, roots: &[TypeId], done: &mut HashSet<TypeId>, out: &mut String) {
    for &r in roots {
        emit(types, r, done, out);
    }
}

fn emit(types: &Types, ty: TypeId, done: &mut HashSet<TypeId>, out: &mut String) {
    match types.kind(ty) {
        TypeKind::Pointer(p) => emit(types, *p, done, out),
        TypeKind::Array { elem, .. } => emit(types, *elem, done, out),
        TypeKind::Record(_) => {
            if !done.insert(ty) {
                return;
            }
            let Some(rec) = types.record_of(ty) else { return };
            for d in &rec.decls {
                emit(types, d.ty, done, out);
            }
            let mut attrs = Vec::new();
            if rec.attrs.packed {
                attrs.push("packed".to_string());
            }
            if let Some(a) = rec.attrs.align_attr {
                attrs.push(format!("aligned({a})"));
            }
            if let Some(n) = rec.attrs.pragma_pack {
                let _ = writeln!(out, "#pragma pack(push, {n})");
            }
            out.push_str(rec.kind.keyword());
            if !attrs.is_empty() {
                let _ = write!(out, " __attribute__(({}))", attrs.join(", "));
            }
            let _ = write!(out, " {} {{ ", rec.tag.as_deref().unwrap_or("anon"));
            for d in &rec.decls {
                out.push_str(&types.declare(d.ty, d.name.as_deref().unwrap_or("")));
                if let Some(w) = d.bit_width {
                    let _ = write!(out, " : {w}");
                }
                if d.packed {
                    out.push_str(" __attribute__((packed))");
                }
                if let Some(a) = d.align_attr {
                    let _ = write!(out, " __attribute__((aligned({a})))");
                }
                out.push_str("; ");
            }
            out.push_str("};\n");
            if rec.attrs.pragma_pack.is_some() {
                out.push_str("#pragma pack(pop)\n");
            }
        }
        _ => {}
    }
}

fn bytes_init(out: &mut String, name: &str, b: &[u8]) {
    let _ = write!(out, "static const unsigned char {name}[] = {{");
    if b.is_empty() {
        out.push('0');
    }
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{x:#04x}");
    }
    out.push_str("};\n");
}

/// The type an argument of type `ty` has after the default argument
/// promotions (for reading it with `va_arg`).
fn promoted(types: &Types, ty: TypeId) -> String {
    match types.as_prim(ty) {
        Some(Prim::Float) => "double".into(),
        Some(Prim::Bool | Prim::Char | Prim::SChar | Prim::UChar | Prim::Short | Prim::UShort) => "int".into(),
        _ => types.declare(ty, ""),
    }
}

/// The C prototype of signature `k`'s callee (`int callee_3(int a0, ...)`).
pub fn prototype(types: &Types, sig: &Signature, name: &str) -> String {
    let fixed = sig.fixed.unwrap_or(sig.args.len());
    let mut params: Vec<String> = sig.args[..fixed]
        .iter()
        .enumerate()
        .map(|(i, &t)| types.declare(t, &format!("a{i}")))
        .collect();
    if sig.fixed.is_some() {
        params.push("...".into());
    }
    if params.is_empty() {
        params.push("void".into());
    }
    format!("{} {name}({})", types.declare(sig.ret, ""), params.join(", "))
}

/// Whether signature `sig` gets a caller (callbacks cannot be variadic).
pub fn has_caller(sig: &Signature) -> bool {
    sig.fixed.is_none()
}

/// The C text of signature `k` (record definitions not included): expected
/// values, `callee_k` and, unless variadic, `caller_k`.
///
/// `id` names the signature in the C side's failure messages (`signature
/// 389`, as reports do). Narrow integer parameters the ABI extends to 32
/// bits (x86_64) are received as `int` and checked at that width before
/// they are narrowed; promoted variadic arguments are checked as read by
/// `va_arg`, before they are narrowed.
pub fn sig_text(types: &Types, sig: &Signature, vals: &SigValues, k: usize, id: &str) -> String {
    let mut out = String::new();
    // Per argument: the promoted type to receive it as, when it differs.
    let wide: Vec<Option<(String, ValueBytes)>> = (0..sig.args.len())
        .map(|i| {
            let is_var = sig.fixed.is_some_and(|n| i >= n);
            let p = if is_var {
                // C's default argument promotions, not the plan's.
                abicall::abi::default_promotion(types, sig.args[i])?
            } else {
                // The ABI's rule, not the plan's (a plan that forgets the
                // extension must not switch the check off): x86_64 callers
                // extend narrow integers to 32 bits (abi-cases row 16).
                let narrow = matches!(
                    types.as_prim(sig.args[i]),
                    Some(Prim::Bool | Prim::Char | Prim::SChar | Prim::UChar | Prim::Short | Prim::UShort)
                );
                if types.target() != abicall::Target::X86_64SysV || !narrow {
                    return None;
                }
                Prim::Int
            };
            let pt = p.c_name().to_string();
            Some((pt, promote(types, sig.args[i], &vals.args[i], Some(p))))
        })
        .collect();
    for (i, w) in wide.iter().enumerate() {
        if let Some((_, v)) = w {
            bytes_init(&mut out, &format!("e{k}_{i}w"), &v.bytes);
            bytes_init(&mut out, &format!("m{k}_{i}w"), &v.mask);
        }
    }
    let _ = writeln!(out, "static const char id{k}[] = \"{id}\";");
    for (i, v) in vals.args.iter().enumerate() {
        bytes_init(&mut out, &format!("e{k}_{i}"), &v.bytes);
        bytes_init(&mut out, &format!("m{k}_{i}"), &v.mask);
    }
    let is_void = types.as_prim(sig.ret) == Some(Prim::Void);
    if !is_void {
        bytes_init(&mut out, &format!("e{k}_r"), &vals.ret.bytes);
        bytes_init(&mut out, &format!("m{k}_r"), &vals.ret.mask);
    }
    let fixed = sig.fixed.unwrap_or(sig.args.len());
    // Callee: narrow parameters the ABI extends arrive as `int`.
    let mut params: Vec<String> = (0..fixed)
        .map(|i| match &wide[i] {
            Some((pt, _)) => format!("{pt} w{i}"),
            None => types.declare(sig.args[i], &format!("a{i}")),
        })
        .collect();
    if sig.fixed.is_some() {
        params.push("...".into());
    }
    if params.is_empty() {
        params.push("void".into());
    }
    let _ = writeln!(
        out,
        "{} callee_{k}({}) {{",
        types.declare(sig.ret, ""),
        params.join(", ")
    );
    for (i, w) in wide.iter().enumerate().take(fixed) {
        if w.is_some() {
            let _ = writeln!(
                out,
                "    conf_chk_as(&w{i}, e{k}_{i}w, m{k}_{i}w, sizeof w{i}, id{k}, {i}, \" in its full register width (extended to 32 bits), before narrowing\");\n    {} = ({})w{i};",
                types.declare(sig.args[i], &format!("a{i}")),
                types.declare(sig.args[i], "")
            );
        }
        let _ = writeln!(out, "    conf_chk(&a{i}, e{k}_{i}, m{k}_{i}, sizeof a{i}, id{k}, {i});");
    }
    if sig.fixed.is_some() {
        let _ = writeln!(out, "    va_list ap;\n    va_start(ap, a{});", fixed - 1);
        for (i, w) in wide.iter().enumerate().skip(fixed) {
            let t = sig.args[i];
            match w {
                Some((pt, _)) => {
                    let _ = writeln!(
                        out,
                        "    {{ {pt} w = va_arg(ap, {pt}); conf_chk_as(&w, e{k}_{i}w, m{k}_{i}w, sizeof w, id{k}, {i}, \" as promoted ({pt}), before narrowing\"); {} = ({})w; conf_chk(&a{i}, e{k}_{i}, m{k}_{i}, sizeof a{i}, id{k}, {i}); }}",
                        types.declare(t, &format!("a{i}")),
                        types.declare(t, ""),
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    {{ {} = ({})va_arg(ap, {}); conf_chk(&a{i}, e{k}_{i}, m{k}_{i}, sizeof a{i}, id{k}, {i}); }}",
                        types.declare(t, &format!("a{i}")),
                        types.declare(t, ""),
                        promoted(types, t)
                    );
                }
            }
        }
        out.push_str("    va_end(ap);\n");
    }
    if !is_void {
        let _ = writeln!(
            out,
            "    {};\n    memcpy(&r, e{k}_r, sizeof r);\n    return r;",
            types.declare(sig.ret, "r")
        );
    }
    out.push_str("}\n");
    if has_caller(sig) {
        let params: Vec<String> = sig.args.iter().map(|&t| types.declare(t, "")).collect();
        let params = if params.is_empty() {
            "void".to_string()
        } else {
            params.join(", ")
        };
        let _ = writeln!(out, "int caller_{k}({} (*cb)({params})) {{", types.declare(sig.ret, ""));
        for (i, &t) in sig.args.iter().enumerate() {
            let _ = writeln!(
                out,
                "    {};\n    memcpy(&a{i}, e{k}_{i}, sizeof a{i});",
                types.declare(t, &format!("a{i}"))
            );
        }
        let call_args: Vec<String> = (0..sig.args.len()).map(|i| format!("a{i}")).collect();
        if is_void {
            let _ = writeln!(out, "    cb({});\n    return 0;\n}}", call_args.join(", "));
        } else {
            let _ = writeln!(
                out,
                "    {} = cb({});\n    return conf_chk(&r, e{k}_r, m{k}_r, sizeof r, id{k}, -1);\n}}",
                types.declare(sig.ret, "r"),
                call_args.join(", ")
            );
        }
    }
    out
}

/// Record definitions used by `sig`.
pub fn sig_defs(types: &Types, sig: &Signature) -> String {
    let mut roots = vec![sig.ret];
    roots.extend(&sig.args);
    let mut out = String::new();
    record_defs(types, &roots, &mut HashSet::new(), &mut out);
    out
}

/// A standalone C program for signature `k` alone (the reproducer): the
/// callee and caller abicall uses, and a `main` that runs them against each
/// other (compiled C against compiled C, which must pass), so the file
/// both documents the failing case and proves the C side consistent.
pub fn reproducer(batch: &Batch, k: usize) -> String {
    let types = &batch.types;
    let sig = &batch.sigs[k];
    let vals = sig_values(types, sig);
    let mut main = String::from("int main(void) {\n");
    if has_caller(sig) {
        let _ = writeln!(main, "    caller_{k}(callee_{k});");
    } else {
        let mut call = Vec::new();
        for (i, &t) in sig.args.iter().enumerate() {
            let _ = writeln!(
                main,
                "    {}; memcpy(&a{i}, e{k}_{i}, sizeof a{i});",
                types.declare(t, &format!("a{i}"))
            );
            call.push(format!("a{i}"));
        }
        let _ = writeln!(main, "    callee_{k}({});", call.join(", "));
    }
    main.push_str(
        "    const char *f = conf_failure();\n    printf(\"%s\\n\", f ? f : \"C against C: ok\");\n    return f != 0;\n}\n",
    );
    format!(
        "/* {} of `abicall abi-test --seed {} --target {}`: {}\n   \
         Build and run: gcc -O2 repro.c && ./a.out\n   \
         Re-run in abicall: abicall abi-test --seed {} --target {} --only {} */\n{PRELUDE}{}{}{main}",
        batch.id(k),
        batch.seed,
        types.target(),
        prototype(types, sig, "f"),
        batch.seed,
        types.target(),
        only_arg(batch, k),
        sig_defs(types, sig),
        sig_text(types, sig, &vals, k, &batch.id(k))
    )
}

/// The `--only` argument selecting signature `k` of `batch`.
pub fn only_arg(batch: &Batch, k: usize) -> String {
    match batch.first {
        Some(f) => (f + k).to_string(),
        None => format!("F{k}"),
    }
}

/// One C file with every signature of `batch` in `range`.
pub fn batch_source(batch: &Batch, range: std::ops::Range<usize>) -> String {
    let mut out = String::from(PRELUDE);
    let mut done = HashSet::new();
    for k in range {
        let sig = &batch.sigs[k];
        let mut roots = vec![sig.ret];
        roots.extend(&sig.args);
        record_defs(&batch.types, &roots, &mut done, &mut out);
        let vals = sig_values(&batch.types, sig);
        out.push_str(&sig_text(&batch.types, sig, &vals, k, &batch.id(k)));
    }
    out
}
