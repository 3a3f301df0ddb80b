//! `abicall call LIB 'PROTOTYPE' ARG…`: call a C function from the shell.

use crate::context::DeclArgs;
use crate::error::{CliError, Result};
use crate::json::Json;
use crate::literal::{parse_arg, Arg, Lit};
use abicall::library::Library;
use abicall::memory::{CData, Ptr};
use abicall::types::{Prim, TypeId, TypeKind, Types};
use abicall::value::LongDouble;
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
    /// Arguments as C literals: 42, -1L, 2.5, 1.1L, 'c', "text" (C escapes, \u00e9 as UTF-8), NULL,
    /// {1, 2}, {.x = 1}, {re, im} for a _Complex (also as a member), casts with C's conversions
    /// ((short)99999, (void *)-1), and &{…} / &"…" for a pointer to a fresh object (printed after
    /// the call). A `char *` result or member is printed as a string when its bytes up to the NUL
    /// are readable (at most 64 KiB), else as a pointer.
    #[arg(value_name = "ARG", allow_hyphen_values = true, trailing_var_arg = true)]
    args: Vec<String>,
}

/// Runs `abicall call`.
pub fn run(a: CallArgs) -> Result<()> {
    let mut ffi = a.decls.build()?;
    if ffi.target() != abicall::Target::host().ok_or("this host cannot call C functions")? {
        return Err(format!(
            "--target {} is not this host's ABI: calls run on the host",
            ffi.target()
        )
        .into());
    }
    let name = declare(&mut ffi, &a.prototype)?;
    // SAFETY: the user named this library on the command line; loading it
    // (running its initializers) is what `abicall call` is asked to do.
    let lib = unsafe { Library::open(&a.lib) }?;
    let func = ffi.function(&lib, &name)?;
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
        )
        .into());
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
        // SAFETY: the prototype and the variadic types are the user's
        // declaration of the function, trusted as a C compiler trusts one;
        // the arguments were converted to those types.
        unsafe { func.call_variadic(&values, &var_types) }
    } else {
        // SAFETY: the prototype is the user's declaration of the function,
        // trusted as a C compiler trusts one; the arguments were converted
        // to its parameter types.
        unsafe { func.call(&values) }
    }?;
    flush_c_stdio();
    // `values` stays alive until the result is printed: a returned pointer
    // may point into an argument's string.
    let t = ffi.types();
    let is_void = matches!(t.kind(ret), TypeKind::Prim(Prim::Void));
    if a.json {
        let doc = Json::Obj(vec![
            ("return".into(), if is_void { Json::Null } else { json_value(&t, &r) }),
            (
                "out".into(),
                Json::Arr(outs.iter().map(|(_, cd)| json_cdata(&t, cd)).collect()),
            ),
        ]);
        println!("{}", doc.to_text());
    } else {
        // A `void` function prints nothing (except its out-parameters).
        if !is_void {
            println!("{}", c_value(&t, ret, &r));
        }
        for (i, cd) in &outs {
            println!("*arg{} = {}", i + 1, c_cdata(&t, cd));
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
fn declare(ffi: &mut Ffi, proto: &str) -> Result<String> {
    let trimmed = proto.trim();
    let is_name = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if is_name {
        return if ffi.decls().functions.contains_key(trimmed) {
            Ok(trimmed.to_string())
        } else if let Some(v) = ffi.decls().variables.get(trimmed) {
            Err(format!(
                "`{trimmed}` is a variable of type `{}`, not a function",
                ffi.types().display(v.ty)
            )
            .into())
        } else if let Some(reason) = ffi.decls().unavailable.get(trimmed) {
            Err(format!("`{trimmed}` is not available: {reason}").into())
        } else {
            Err(format!("`{trimmed}` is not declared: give its prototype, --cdef or --header").into())
        };
    }
    let before: std::collections::HashSet<String> = ffi.decls().functions.keys().cloned().collect();
    let text = if trimmed.ends_with(';') {
        trimmed.to_string()
    } else {
        format!("{trimmed};")
    };
    ffi.cdef(&text).map_err(|e| CliError::located("prototype", e))?;
    if let Some(n) = ffi.decls().functions.keys().find(|k| !before.contains(*k)) {
        return Ok(n.clone());
    }
    // An identical redeclaration of a function already declared.
    trimmed
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| ffi.decls().functions.contains_key(*w))
        .map(str::to_string)
        .ok_or_else(|| CliError::Usage(format!("`{trimmed}` does not declare a function")))
}

/// The value for one argument, its C type, and the fresh object behind a `&` argument.
fn convert(ffi: &mut Ffi, arg: &Arg, declared: Option<TypeId>) -> Result<(Value, (TypeId, Option<CData>))> {
    // The outermost cast gives the type in the variadic part.
    let cast = match &arg.lit {
        Lit::Cast(ty, _) => Some(ffi.type_of(ty).map_err(|e| CliError::located("cast", e))?),
        _ => None,
    };
    let lit = &arg.lit;
    if arg.address_of {
        let inner = match lit {
            Lit::Cast(_, inner) => inner.as_ref(),
            l => l,
        };
        if matches!(inner, Lit::Null) {
            return Err("`&NULL` points to nothing: pass NULL, or &{…} / &\"…\" for a fresh object".into());
        }
        // Pointer to a fresh object.
        let ptr_ty = match (declared, cast) {
            (Some(d), _) => d,
            (None, Some(c)) => c,
            (None, None) => match inner {
                Lit::Str(_) => ffi.type_of("char *")?,
                _ => {
                    return Err(
                        "in the variadic part, `&{…}` needs a cast giving its pointer type, e.g. (int *)&{1}".into(),
                    )
                }
            },
        };
        let pointee = match ffi.types().kind(ptr_ty) {
            TypeKind::Pointer(p) => *p,
            _ => return Err(format!("`&…` needs a pointer parameter, not `{}`", ffi.types().display(ptr_ty)).into()),
        };
        let obj_ty = {
            let mut t = ffi.types_mut();
            let is_void = matches!(t.kind(pointee), TypeKind::Prim(Prim::Void));
            let elem = if is_void { t.prim(Prim::Char) } else { pointee };
            let scalar_elem = t.record_of(elem).is_none();
            match inner {
                Lit::Str(s) if t.size_of(elem).ok() == Some(1) => t.array(elem, Some(s.len() as u64 + 1)),
                Lit::List(items) if scalar_elem || is_void => t.array(elem, Some(items.len().max(1) as u64)),
                _ if is_void => return Err("`&…` for a `void *` parameter needs a string or a list".into()),
                _ => elem,
            }
        };
        let value = lit_value(ffi, inner, Some(obj_ty))?;
        let t = ffi.types();
        let cd = CData::new(&t, obj_ty, Some(&value))?;
        let p = match t.kind(obj_ty) {
            TypeKind::Array { .. } => cd.decay(&t),
            _ => cd.pointer(),
        }?;
        return Ok((Value::Pointer(p), (ptr_ty, Some(cd))));
    }
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
                Lit::LongFloat(_) => Some("long double"),
                Lit::Str(_) => Some("char *"),
                Lit::Null => Some("void *"),
                _ => None,
            };
            match spelled {
                Some(s) => ffi.type_of(s)?,
                None => return Err("in the variadic part, an initializer needs a cast giving its type".into()),
            }
        }
    };
    let value = lit_value(ffi, lit, Some(ty))?;
    let t = ffi.types();
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
            let cd = CData::new(&ffi.types(), arr, Some(&value))?;
            return Ok((Value::CData(cd), (ty, None)));
        }
    }
    Ok((value, (ty, None)))
}

/// The value of literal `l` where a value of type `want` is expected (if
/// known): casts are C conversions (`(int)(short)99999` is -31073), a cast
/// to a struct, union or array is a compound literal, `{re, im}` is a
/// `_Complex` wherever one is expected, `1.1L` is rounded once to the
/// target's `long double`.
fn lit_value(ffi: &mut Ffi, l: &Lit, want: Option<TypeId>) -> Result<Value> {
    Ok(match l {
        Lit::Int(v, _) => Value::Int(*v),
        Lit::Float(v, _) => Value::Float(*v),
        Lit::LongFloat(text) => {
            let fmt = ffi.target().long_double_format();
            Value::LongDouble(
                LongDouble::parse(text, fmt).ok_or_else(|| format!("malformed floating constant `{text}L`"))?,
            )
        }
        Lit::Str(s) => Value::Str(s.clone()),
        Lit::Null => Value::Null,
        Lit::Cast(ty, inner) => {
            let to = ffi.type_of(ty).map_err(|e| CliError::located("cast", e))?;
            let aggregate = {
                let t = ffi.types();
                t.record_of(to).is_some() || matches!(t.kind(to), TypeKind::Array { .. })
            };
            if aggregate {
                // `(struct s){…}`: a compound literal.
                lit_value(ffi, inner, Some(to))?
            } else {
                let v = lit_value(ffi, inner, None)?;
                let t = ffi.types();
                abicall::memory::cast(&t, to, &v).map_err(|e| format!("cast to `{ty}`: {}", e.message()))?
            }
        }
        Lit::List(items) => {
            let (kind, complex) = {
                let t = ffi.types();
                match want {
                    Some(w) => (Some(t.kind(w).clone()), t.as_prim(w).is_some_and(|p| p.is_complex())),
                    None => (None, false),
                }
            };
            if complex {
                // `{re, im}` for a `_Complex`.
                return match items.as_slice() {
                    [re, im] => {
                        let re = lit_value(ffi, re, None)?;
                        let im = lit_value(ffi, im, None)?;
                        match (re.as_f64(), im.as_f64()) {
                            (Some(re), Some(im)) => Ok(Value::Complex(re, im)),
                            _ => Err("a _Complex initializer {re, im} needs two numbers".into()),
                        }
                    }
                    _ => Err(format!("a _Complex initializer has 2 numbers {{re, im}}, not {}", items.len()).into()),
                };
            }
            let member_types = match (want, kind) {
                (_, Some(TypeKind::Array { elem, .. })) => vec![Some(elem); items.len()],
                (Some(w), _) => positional_members(&ffi.types(), w, items.len()),
                _ => vec![None; items.len()],
            };
            let mut out = Vec::with_capacity(items.len());
            for (it, mt) in items.iter().zip(member_types) {
                out.push(lit_value(ffi, it, mt)?);
            }
            Value::List(out)
        }
        Lit::Fields(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (name, it) in items {
                let mt = want.and_then(|w| ffi.types().offset_of(w, name).ok().map(|p| p.ty));
                out.push((name.clone(), lit_value(ffi, it, mt)?));
            }
            Value::Fields(out)
        }
    })
}

/// The types of the first `n` members a positional initializer of record
/// `ty` fills (named members and anonymous struct/union members, in order;
/// `None` past the end or for a non-record).
fn positional_members(t: &Types, ty: TypeId, n: usize) -> Vec<Option<TypeId>> {
    let mut v: Vec<Option<TypeId>> = match t.record_of(ty) {
        Some(rec) => rec
            .fields
            .iter()
            .filter(|f| f.name.is_some() || f.bit.is_none())
            .map(|f| Some(f.ty))
            .take(n)
            .collect(),
        None => Vec::new(),
    };
    v.resize(n, None);
    v
}

fn c_float(x: f64) -> String {
    if x.is_nan() {
        "NAN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "INFINITY" } else { "-INFINITY" }.into()
    } else {
        format!("{x:?}")
    }
}

/// A JSON number for `x`; a string (`"inf"`, `"NaN"`) when not finite.
fn json_float(x: f64) -> Json {
    if x.is_finite() {
        Json::Num(format!("{x:?}"))
    } else {
        Json::Str(format!("{x}"))
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

fn is_char_like(t: &Types, ty: TypeId) -> bool {
    matches!(t.as_prim(ty), Some(Prim::Char | Prim::SChar | Prim::UChar)) && !matches!(t.kind(ty), TypeKind::Enum(_))
}

/// Longest C string read through a `char *` result or member.
const STRING_CAP: usize = 1 << 16;

/// The string a non-NULL `char *` points to, when its bytes up to the NUL
/// (at most [`STRING_CAP`]) can be read; `None` for a pointer into
/// unmapped or unreadable memory, or with no NUL within the cap. The bytes
/// are copied by the kernel: `write` of the range into a pipe of our own
/// fails with `EFAULT` where a plain load would crash (a function returning
/// `(char *)0x10` prints as a pointer, not a SIGSEGV). Unlike
/// `process_vm_readv`, this also works under qemu-user, which checks the
/// guest range of a `write` itself.
fn readable_c_string(p: &Ptr) -> Option<Vec<u8>> {
    const CHUNK: usize = 4096;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return None;
    }
    struct Pipe([libc::c_int; 2]);
    impl Drop for Pipe {
        fn drop(&mut self) {
            for fd in self.0 {
                // SAFETY: both descriptors were opened above and are closed once, here.
                unsafe { libc::close(fd) };
            }
        }
    }
    let pipe = Pipe(fds);
    let mut out = Vec::new();
    let mut addr = p.addr();
    while out.len() < STRING_CAP {
        // Up to the next page boundary, so a readable prefix is not lost to
        // an unreadable page after it; a chunk is far below the pipe's capacity.
        let n = CHUNK - addr % CHUNK;
        let mut buf = vec![0u8; n];
        // SAFETY: the kernel reads the `n` bytes at `addr` itself and reports
        // EFAULT instead of faulting when they are not mapped readable; no
        // memory is read through `addr` by this process.
        let put = unsafe { libc::write(pipe.0[1], addr as *const libc::c_void, n) };
        if put <= 0 {
            return None;
        }
        // SAFETY: `buf` has room for `put` (<= n) bytes, all now in the pipe.
        let got = unsafe { libc::read(pipe.0[0], buf.as_mut_ptr().cast(), put as usize) };
        if got != put {
            return None;
        }
        let got = got as usize;
        if let Some(end) = buf[..got].iter().position(|&b| b == 0) {
            out.extend_from_slice(&buf[..end]);
            return Some(out);
        }
        out.extend_from_slice(&buf[..got]);
        addr = addr.checked_add(got)?;
    }
    None
}

/// A value of type `ty` as a C initializer.
fn c_value(t: &Types, ty: TypeId, v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => (*b as u8).to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(x) => c_float(*x),
        Value::LongDouble(ld) => {
            // Finite values (even beyond `double`'s range) print exactly.
            let s = ld.to_shortest_string();
            if s.ends_with(|c: char| c.is_ascii_digit()) {
                format!("{s}L")
            } else {
                c_float(ld.to_f64())
            }
        }
        Value::Complex(re, im) => format!("{} + {}*I", c_float(*re), c_float(*im)),
        Value::Pointer(p) => {
            if p.is_null() {
                return "NULL".into();
            }
            if is_char_like(t, p.pointee()) {
                if let Some(s) = readable_c_string(p) {
                    return c_string(&s);
                }
            }
            format!("({}){:#x}", t.display(ty), p.addr())
        }
        Value::CData(cd) => c_cdata(t, cd),
        Value::Str(s) => c_string(s),
        Value::WStr(s) => c_string(s.as_bytes()),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(|i| c_value(t, ty, i)).collect();
            format!("{{ {} }}", parts.join(", "))
        }
        Value::Fields(f) => {
            let parts: Vec<String> = f.iter().map(|(n, i)| format!(".{n} = {}", c_value(t, ty, i))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

/// A value as JSON.
fn json_value(t: &Types, v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Num(i.to_string()),
        Value::UInt(u) => Json::Num(u.to_string()),
        Value::Float(x) => json_float(*x),
        Value::LongDouble(ld) => {
            let s = ld.to_shortest_string();
            if s.ends_with(|c: char| c.is_ascii_digit()) {
                Json::Num(s)
            } else {
                json_float(ld.to_f64())
            }
        }
        Value::Complex(re, im) => Json::Arr(vec![json_float(*re), json_float(*im)]),
        Value::Pointer(p) => {
            if p.is_null() {
                return Json::Null;
            }
            if is_char_like(t, p.pointee()) {
                if let Some(s) = readable_c_string(p) {
                    return Json::Str(String::from_utf8_lossy(&s).into_owned());
                }
            }
            Json::Str(format!("{:#x}", p.addr()))
        }
        Value::CData(cd) => json_cdata(t, cd),
        Value::Str(s) => Json::Str(String::from_utf8_lossy(s).into_owned()),
        Value::WStr(s) => Json::Str(s.clone()),
        Value::List(items) => Json::Arr(items.iter().map(|i| json_value(t, i)).collect()),
        Value::Fields(f) => Json::Obj(f.iter().map(|(n, i)| (n.clone(), json_value(t, i))).collect()),
    }
}

/// The members of record object `cd` that print: `(name, member view)`,
/// unnamed bitfields (padding) left out; `None` names an anonymous member.
fn record_members(t: &Types, cd: &CData) -> Option<Vec<(Option<String>, TypeId, CData)>> {
    let rec = t.record_of(cd.ty())?;
    Some(
        rec.fields
            .iter()
            .filter(|f| !(f.name.is_none() && f.bit.is_some()))
            .map(|f| {
                let path = abicall::types::FieldPath {
                    offset: f.offset,
                    ty: f.ty,
                    bit: f.bit,
                };
                (f.name.clone(), f.ty, cd.member(&path))
            })
            .collect(),
    )
}

/// The elements of array object `cd`, or its string when it holds chars.
enum ArrayView {
    Chars(Vec<u8>),
    Elems(TypeId, Vec<Result<Value>>),
}

fn array_view(t: &Types, cd: &CData) -> Option<ArrayView> {
    let TypeKind::Array { elem, .. } = t.kind(cd.ty()) else {
        return None;
    };
    let elem = *elem;
    let n = cd.len(t).unwrap_or(0);
    if is_char_like(t, elem) {
        if let Ok(s) = cd.string(t, Some(n)) {
            return Some(ArrayView::Chars(s));
        }
    }
    let items = (0..n)
        .map(|i| cd.index(t, i).and_then(|e| e.read(t)).map_err(CliError::from))
        .collect();
    Some(ArrayView::Elems(elem, items))
}

/// The contents of a C object as a C initializer.
fn c_cdata(t: &Types, cd: &CData) -> String {
    if let Some(members) = record_members(t, cd) {
        if members.is_empty() {
            return "{}".into();
        }
        let parts: Vec<String> = members
            .iter()
            .map(|(name, ty, view)| {
                let inner = match view.read(t) {
                    Ok(v) => c_value(t, *ty, &v),
                    Err(e) => format!("/* {e} */"),
                };
                match name {
                    Some(n) => format!(".{n} = {inner}"),
                    None => inner,
                }
            })
            .collect();
        return format!("{{ {} }}", parts.join(", "));
    }
    match array_view(t, cd) {
        Some(ArrayView::Chars(s)) => c_string(&s),
        Some(ArrayView::Elems(elem, items)) => {
            let parts: Vec<String> = items
                .iter()
                .map(|r| match r {
                    Ok(v) => c_value(t, elem, v),
                    Err(e) => format!("/* {e} */"),
                })
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        // `read_deep`: a GCC vector reads as the list of its elements
        // (`read` would give the object itself back).
        None => match cd.read_deep(t) {
            Ok(Value::CData(_)) => format!("/* {} */", t.display(cd.ty())),
            Ok(v) => c_value(t, cd.ty(), &v),
            Err(e) => format!("/* {e} */"),
        },
    }
}

/// The contents of a C object as JSON: a struct or union is an object
/// whose anonymous members' members appear at its own level (as C names
/// them); a value that cannot be read is `{"error": "…"}`.
fn json_cdata(t: &Types, cd: &CData) -> Json {
    if let Some(members) = record_members(t, cd) {
        let mut obj = Vec::new();
        for (name, _, view) in members {
            let inner = match view.read(t) {
                Ok(v) => json_value(t, &v),
                Err(e) => json_error(&e.to_string()),
            };
            match (name, inner) {
                (Some(n), v) => obj.push((n, v)),
                // Anonymous struct/union member: lift its members.
                (None, Json::Obj(inner)) => obj.extend(inner),
                (None, other) => obj.push((String::new(), other)),
            }
        }
        return Json::Obj(obj);
    }
    match array_view(t, cd) {
        Some(ArrayView::Chars(s)) => Json::Str(String::from_utf8_lossy(&s).into_owned()),
        Some(ArrayView::Elems(_, items)) => Json::Arr(
            items
                .iter()
                .map(|r| match r {
                    Ok(v) => json_value(t, v),
                    Err(e) => json_error(&e.to_string()),
                })
                .collect(),
        ),
        None => match cd.read_deep(t) {
            Ok(Value::CData(_)) => json_error(&format!("`{}` cannot be shown", t.display(cd.ty()))),
            Ok(v) => json_value(t, &v),
            Err(e) => json_error(&e.to_string()),
        },
    }
}

fn json_error(msg: &str) -> Json {
    Json::Obj(vec![("error".into(), Json::Str(msg.to_string()))])
}
