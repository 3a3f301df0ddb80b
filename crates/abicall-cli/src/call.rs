//! `abicall call LIB 'PROTOTYPE' ARG…`: call a C function from the shell.

use crate::context::{located, DeclArgs};
use crate::literal::{parse_arg, Arg, Lit};
use abicall::library::Library;
use abicall::memory::CData;
use abicall::types::{report::json_str, Prim, TypeId, TypeKind, Types};
use abicall::{Ffi, Value};
use clap::Args;

/// Arguments of `abicall call`.
#[derive(Args, Debug)]
pub struct CallArgs {
    #[command(flatten)]
    decls: DeclArgs,
    /// Print `{"return": …, "out": […]}` as JSON.
    #[arg(long)]
    json: bool,
    /// Shared object: a path, a soname (`libm.so.6`), or `-` for the process itself.
    #[arg(value_name = "LIB")]
    lib: String,
    /// The function's C prototype, e.g. `double cos(double)`, or just its
    /// name when --header/--cdef declares it.
    #[arg(value_name = "PROTOTYPE")]
    prototype: String,
    /// Arguments as C literals: 42, -1L, 2.5, 'c', "text", NULL, {1, 2}, {.x = 1}, {re, im} for a _Complex,
    /// (long)7, and &{…} / &"…" for a pointer to a fresh object (printed after the call).
    #[arg(value_name = "ARG", allow_hyphen_values = true, trailing_var_arg = true)]
    args: Vec<String>,
}

/// Runs `abicall call`.
pub fn run(a: CallArgs) -> Result<(), String> {
    let mut ffi = a.decls.build()?;
    if ffi.target() != abicall::Target::host().ok_or("this host cannot call C functions")? {
        return Err(format!(
            "--target {} is not this host's ABI: calls run on the host",
            ffi.target()
        ));
    }
    let name = declare(&mut ffi, &a.prototype)?;
    let lib = Library::open(&a.lib).map_err(|e| e.to_string())?;
    let func = ffi.function(&lib, &name).map_err(|e| e.to_string())?;
    let (params, ret, variadic) = {
        let t = ffi.types();
        let sig = t.sig_of(func.ty()).ok_or("not a function")?.clone();
        (sig.params, sig.ret, sig.variadic)
    };
    if a.args.len() < params.len() || (!variadic && a.args.len() != params.len()) {
        return Err(format!(
            "`{name}` takes {}{} argument(s), {} given",
            if variadic { "at least " } else { "" },
            params.len(),
            a.args.len()
        ));
    }
    let mut values = Vec::new();
    let mut var_types = Vec::new();
    let mut outs: Vec<(usize, CData)> = Vec::new();
    for (i, text) in a.args.iter().enumerate() {
        let arg = parse_arg(text).map_err(|e| format!("argument {}: {e}", i + 1))?;
        let declared = params.get(i).copied();
        let (v, ty) = convert(&mut ffi, &arg, declared).map_err(|e| format!("argument {} (`{text}`): {e}", i + 1))?;
        if let Value::Pointer(_) = v {
            if let Some(cd) = ty.1 {
                outs.push((i, cd));
            }
        }
        if declared.is_none() {
            var_types.push(ty.0);
        }
        values.push(v);
    }
    let r = if variadic {
        func.call_variadic(&values, &var_types)
    } else {
        func.call(&values)
    }
    .map_err(|e| e.to_string())?;
    flush_c_stdio();
    // `values` stays alive until the result is printed: a returned pointer
    // may point into an argument's string.
    let t = ffi.types();
    let mode = if a.json { Mode::Json } else { Mode::C };
    let ret_text = if matches!(t.kind(ret), TypeKind::Prim(Prim::Void)) {
        match mode {
            Mode::Json => "null".to_string(),
            Mode::C => String::new(),
        }
    } else {
        fmt_value(&t, ret, &r, mode)
    };
    if a.json {
        let out: Vec<String> = outs.iter().map(|(_, cd)| fmt_cdata(&t, cd, Mode::Json)).collect();
        println!("{{\"return\":{ret_text},\"out\":[{}]}}", out.join(","));
    } else {
        // A `void` function prints nothing (except its out-parameters).
        if !ret_text.is_empty() {
            println!("{ret_text}");
        }
        for (i, cd) in &outs {
            println!("*arg{} = {}", i + 1, fmt_cdata(&t, cd, Mode::C));
        }
    }
    Ok(())
}

/// Flushes C's `stdio` buffers, so that what the called function printed
/// (`printf`, `puts`) comes out before abicall prints the result.
fn flush_c_stdio() {
    extern "C" {
        fn fflush(stream: *mut std::ffi::c_void) -> std::ffi::c_int;
    }
    // SAFETY: `fflush(NULL)` flushes every open output stream; it takes no
    // pointer from us and is always valid to call.
    unsafe {
        fflush(std::ptr::null_mut());
    }
}

/// Declares the prototype; returns the function's name.
fn declare(ffi: &mut Ffi, proto: &str) -> Result<String, String> {
    let trimmed = proto.trim();
    let is_name = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if is_name {
        return if ffi.decls().functions.contains_key(trimmed) {
            Ok(trimmed.to_string())
        } else if let Some(v) = ffi.decls().variables.get(trimmed) {
            Err(format!(
                "`{trimmed}` is a variable of type `{}`, not a function",
                ffi.types().display(v.ty)
            ))
        } else {
            Err(format!(
                "`{trimmed}` is not declared: give its prototype, --cdef or --header"
            ))
        };
    }
    let before: std::collections::HashSet<String> = ffi.decls().functions.keys().cloned().collect();
    let text = if trimmed.ends_with(';') {
        trimmed.to_string()
    } else {
        format!("{trimmed};")
    };
    ffi.cdef(&text).map_err(|e| located("prototype", &e))?;
    if let Some(n) = ffi.decls().functions.keys().find(|k| !before.contains(*k)) {
        return Ok(n.clone());
    }
    // An identical redeclaration of a function already declared.
    trimmed
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| ffi.decls().functions.contains_key(*w))
        .map(str::to_string)
        .ok_or_else(|| format!("`{trimmed}` does not declare a function"))
}

/// The value for one argument, its C type, and the fresh object behind a `&` argument.
fn convert(ffi: &mut Ffi, arg: &Arg, declared: Option<TypeId>) -> Result<(Value, (TypeId, Option<CData>)), String> {
    let (lit, cast) = match &arg.lit {
        Lit::Cast(ty, inner) => (inner.as_ref(), Some(ffi.type_of(ty).map_err(|e| located("cast", &e))?)),
        l => (l, None),
    };
    if arg.address_of {
        if matches!(lit, Lit::Null) {
            return Err("`&NULL` points to nothing: pass NULL, or &{…} / &\"…\" for a fresh object".into());
        }
        // Pointer to a fresh object.
        let ptr_ty = match (declared, cast) {
            (Some(d), _) => d,
            (None, Some(c)) => c,
            (None, None) => match lit {
                Lit::Str(_) => ffi.type_of("char *").map_err(|e| e.to_string())?,
                _ => {
                    return Err(
                        "in the variadic part, `&{…}` needs a cast giving its pointer type, e.g. (int *)&{1}".into(),
                    )
                }
            },
        };
        let pointee = match ffi.types().kind(ptr_ty) {
            TypeKind::Pointer(p) => *p,
            _ => {
                return Err(format!(
                    "`&…` needs a pointer parameter, not `{}`",
                    ffi.types().display(ptr_ty)
                ))
            }
        };
        let value = lit_value(lit);
        let obj_ty = {
            let mut t = ffi.types_mut();
            let is_void = matches!(t.kind(pointee), TypeKind::Prim(Prim::Void));
            let elem = if is_void { t.prim(Prim::Char) } else { pointee };
            let scalar_elem = t.record_of(elem).is_none();
            match lit {
                Lit::Str(s) if t.size_of(elem).ok() == Some(1) => t.array(elem, Some(s.len() as u64 + 1)),
                Lit::List(items) if scalar_elem || is_void => t.array(elem, Some(items.len().max(1) as u64)),
                _ if is_void => return Err("`&…` for a `void *` parameter needs a string or a list".into()),
                _ => elem,
            }
        };
        let t = ffi.types();
        let cd = CData::new(&t, obj_ty, Some(&value)).map_err(|e| e.to_string())?;
        let p = match t.kind(obj_ty) {
            TypeKind::Array { .. } => cd.decay(&t),
            _ => cd.pointer(),
        }
        .map_err(|e| e.to_string())?;
        return Ok((Value::Pointer(p), (ptr_ty, Some(cd))));
    }
    let mut value = lit_value(lit);
    let ty = match (declared, cast) {
        (Some(d), _) => d,
        (None, Some(c)) => c,
        (None, None) => {
            let spelled = match lit {
                Lit::Int(_, Some(t)) | Lit::Float(_, Some(t)) => Some(*t),
                Lit::Int(v, None) if i32::try_from(*v).is_ok() => Some("int"),
                Lit::Int(v, None) if i64::try_from(*v).is_ok() => Some("long"),
                Lit::Int(_, None) => Some("unsigned long"),
                Lit::Float(_, None) => Some("double"),
                Lit::Str(_) => Some("char *"),
                Lit::Null => Some("void *"),
                _ => None,
            };
            match spelled {
                Some(s) => ffi.type_of(s).map_err(|e| e.to_string())?,
                None => return Err("in the variadic part, an initializer needs a cast giving its type".into()),
            }
        }
    };
    let t = ffi.types();
    // `{re, im}` for a `_Complex` parameter.
    if t.as_prim(ty).is_some_and(|p| p.is_complex()) {
        if let Value::List(items) = &value {
            if let [re, im] = items.as_slice() {
                if let (Some(re), Some(im)) = (re.as_f64(), im.as_f64()) {
                    value = Value::Complex(re, im);
                }
            }
        }
    }
    // A string for a `char *`: an array object that outlives the call, so
    // a returned pointer into it (strchr, strstr, ...) can still be printed.
    if let (Lit::Str(bytes), TypeKind::Pointer(pointee)) = (lit, t.kind(ty)) {
        let pointee = *pointee;
        if t.size_of(pointee).ok() == Some(1) || matches!(t.kind(pointee), TypeKind::Prim(Prim::Void)) {
            drop(t);
            let arr = {
                let mut tm = ffi.types_mut();
                let elem = if matches!(tm.kind(pointee), TypeKind::Prim(Prim::Void)) {
                    tm.prim(Prim::Char)
                } else {
                    pointee
                };
                tm.array(elem, Some(bytes.len() as u64 + 1))
            };
            let cd = CData::new(&ffi.types(), arr, Some(&value)).map_err(|e| e.to_string())?;
            return Ok((Value::CData(cd), (ty, None)));
        }
    }
    Ok((value, (ty, None)))
}

fn lit_value(l: &Lit) -> Value {
    match l {
        Lit::Int(v, _) => Value::Int(*v),
        Lit::Float(v, _) => Value::Float(*v),
        Lit::Str(s) => Value::Str(s.clone()),
        Lit::Null => Value::Null,
        Lit::List(items) => Value::List(items.iter().map(lit_value).collect()),
        Lit::Fields(items) => Value::Fields(items.iter().map(|(n, v)| (n.clone(), lit_value(v))).collect()),
        Lit::Cast(_, inner) => lit_value(inner),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    C,
    Json,
}

fn fmt_float(x: f64, mode: Mode) -> String {
    match mode {
        Mode::Json if !x.is_finite() => format!("\"{x}\""),
        Mode::C if x.is_nan() => "NAN".into(),
        Mode::C if x.is_infinite() => if x > 0.0 { "INFINITY" } else { "-INFINITY" }.into(),
        _ => format!("{x:?}"),
    }
}

fn c_string(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    s.push('"');
    s
}

fn fmt_bytes_str(bytes: &[u8], mode: Mode) -> String {
    match mode {
        Mode::C => c_string(bytes),
        Mode::Json => json_str(&String::from_utf8_lossy(bytes)),
    }
}

fn is_char_like(t: &Types, ty: TypeId) -> bool {
    matches!(t.as_prim(ty), Some(Prim::Char | Prim::SChar | Prim::UChar)) && !matches!(t.kind(ty), TypeKind::Enum(_))
}

/// A value of type `ty` as a C initializer or JSON.
fn fmt_value(t: &Types, ty: TypeId, v: &Value, mode: Mode) -> String {
    match v {
        Value::Null => match mode {
            Mode::C => "NULL".into(),
            Mode::Json => "null".into(),
        },
        Value::Bool(b) => match mode {
            Mode::C => (*b as u8).to_string(),
            Mode::Json => b.to_string(),
        },
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(x) => fmt_float(*x, mode),
        Value::LongDouble(ld) => match mode {
            Mode::C => format!("{}L", fmt_float(ld.to_f64(), mode)),
            Mode::Json => fmt_float(ld.to_f64(), mode),
        },
        Value::Complex(re, im) => match mode {
            Mode::C => format!("{} + {}*I", fmt_float(*re, mode), fmt_float(*im, mode)),
            Mode::Json => format!("[{},{}]", fmt_float(*re, mode), fmt_float(*im, mode)),
        },
        Value::Pointer(p) => {
            if p.is_null() {
                return fmt_value(t, ty, &Value::Null, mode);
            }
            if is_char_like(t, p.pointee()) {
                // SAFETY: the function was declared (by the user, as in C) to
                // return or hold a `char *`; a non-NULL one points to a
                // NUL-terminated string. Reading is capped at 64 KiB.
                if let Ok(s) = unsafe { p.string(Some(1 << 16)) } {
                    return fmt_bytes_str(&s, mode);
                }
            }
            match mode {
                Mode::C => format!("({}){:#x}", t.display(ty), p.addr()),
                Mode::Json => format!("\"{:#x}\"", p.addr()),
            }
        }
        Value::CData(cd) => fmt_cdata(t, cd, mode),
        Value::Str(s) => fmt_bytes_str(s, mode),
        Value::WStr(s) => json_str(s),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(|i| fmt_value(t, ty, i, mode)).collect();
            match mode {
                Mode::C => format!("{{ {} }}", parts.join(", ")),
                Mode::Json => format!("[{}]", parts.join(",")),
            }
        }
        Value::Fields(f) => {
            let parts: Vec<String> = f
                .iter()
                .map(|(n, i)| format!(".{n} = {}", fmt_value(t, ty, i, mode)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

/// The contents of a C object as a C initializer or JSON.
fn fmt_cdata(t: &Types, cd: &CData, mode: Mode) -> String {
    let ty = cd.ty();
    if let Some(rec) = t.record_of(ty) {
        let mut parts = Vec::new();
        for f in &rec.fields {
            if f.name.is_none() && f.bit.is_some() {
                continue; // unnamed bitfield: padding
            }
            let path = abicall::types::FieldPath {
                offset: f.offset,
                ty: f.ty,
                bit: f.bit,
            };
            let view = cd.member(&path);
            let inner = match view.read(t) {
                Ok(v) => fmt_value(t, f.ty, &v, mode),
                Err(e) => format!("/* {e} */"),
            };
            parts.push(match (&f.name, mode) {
                (Some(n), Mode::C) => format!(".{n} = {inner}"),
                (Some(n), Mode::Json) => format!("{}:{inner}", json_str(n)),
                (None, Mode::C) => inner,
                // Anonymous member: its members appear at this level in JSON.
                (None, Mode::Json) => inner.trim_start_matches('{').trim_end_matches('}').to_string(),
            });
        }
        return match mode {
            Mode::C if parts.is_empty() => "{}".into(),
            Mode::C => format!("{{ {} }}", parts.join(", ")),
            Mode::Json => format!(
                "{{{}}}",
                parts
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        };
    }
    if let TypeKind::Array { elem, .. } = t.kind(ty) {
        let elem = *elem;
        let n = cd.len(t).unwrap_or(0);
        if is_char_like(t, elem) {
            if let Ok(s) = cd.string(t, Some(n)) {
                return fmt_bytes_str(&s, mode);
            }
        }
        let mut parts = Vec::with_capacity(n);
        for i in 0..n {
            parts.push(match cd.index(t, i).and_then(|e| e.read(t)) {
                Ok(v) => fmt_value(t, elem, &v, mode),
                Err(e) => format!("/* {e} */"),
            });
        }
        return match mode {
            Mode::C => format!("{{ {} }}", parts.join(", ")),
            Mode::Json => format!("[{}]", parts.join(",")),
        };
    }
    match cd.read(t) {
        Ok(v) => fmt_value(t, ty, &v, mode),
        Err(e) => format!("/* {e} */"),
    }
}
