//! [`Function`]: a declared C function, prepared once, callable with `Value`s
//! (convenient, checked) or through its [`RawCall`] (fast, no allocation).

use super::convert::{self, ArgStore, Bytes};
use super::{read, SharedTypes};
use crate::call::{errno, RawCall};
use crate::error::{CallErrorKind, Error, Result};
use crate::memory::{decode_prim, encode_prim, encode_value, Ptr, MAX_SCALAR};
use crate::types::{Prim, TypeId, TypeKind, Types};
use crate::value::Value;
use std::any::Any;
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Arc, Mutex};

/// A C function with its signature, ready to call. Keeps the library it
/// comes from loaded.
///
/// ```
/// use abicall::{Ffi, Value, library::Library};
/// let mut ffi = Ffi::host().unwrap();
/// ffi.cdef("unsigned long strlen(const char *); int snprintf(char *, unsigned long, const char *, ...);").unwrap();
/// let libc = Library::process();
/// let strlen = ffi.function(&libc, "strlen").unwrap();
/// // SAFETY: libc's strlen has this prototype; "hello" is a C string.
/// assert_eq!(unsafe { strlen.call(&[Value::str("hello")]) }.unwrap(), Value::Int(5));
/// // Wrong argument count: an error, not a crash (checked before any call).
/// // SAFETY: the prototype is libc's; the call is refused before C runs.
/// assert!(unsafe { strlen.call(&[]) }.is_err());
/// ```
pub struct Function {
    name: String,
    types: SharedTypes,
    ty: TypeId,
    code: *const c_void,
    keepalive: Option<Arc<dyn Any + Send + Sync>>,
    /// Prepared call for the fixed parameters (non-variadic functions).
    fixed: Option<RawCall>,
    params: Vec<TypeId>,
    ret: TypeId,
    variadic: bool,
    var_cache: Mutex<HashMap<Vec<TypeId>, RawCall>>,
    /// For signatures of scalars only: what the allocation-free path of
    /// [`Function::call`] needs.
    simple: Option<Simple>,
    /// For signatures of integers (≤ 64 bits) and `double`s only, with a
    /// `void`, integer or `double` result: a per-signature converter that
    /// writes each `Value` straight into an argument frame read by the JIT
    /// tier's frame trampoline.
    frame_fast: Option<FrameFast>,
}

/// How [`Function::call`] writes one argument into an argument frame.
#[derive(Clone, Copy)]
enum FrameKind {
    /// A 64-bit signed integer (`Value::Int` in the `i64` range).
    Signed64,
    /// A 64-bit unsigned integer (`Value::Int` in the `u64` range).
    Unsigned64,
    /// A narrower integer: `Value::Int` in `min..=max`.
    Narrow { min: i64, max: i64 },
    /// A `double` given as `Value::Float`.
    Double,
}

/// The per-signature converter of [`Function::frame_fast`].
struct FrameFast {
    /// The JIT frame trampoline and the function it calls (valid while the
    /// `Function`'s prepared call lives: the trampoline belongs to it, and a
    /// `Function`'s call object never changes tier).
    trampoline: crate::call::DirectEntry,
    code: *const c_void,
    /// Byte offset in the frame and kind of each argument.
    args: Box<[(u32, FrameKind)]>,
    /// Every argument is [`FrameKind::Signed64`] at offset `16 * i` (a
    /// loop without per-argument dispatch).
    all_signed64: bool,
    ret: SimpleRet,
}

/// The integer result of `size` bytes in the low bytes of the register
/// word `raw`, sign- or zero-extended.
fn int_result(raw: u64, size: u8, signed: bool) -> i128 {
    let shift = 64 - 8 * size as u32;
    if signed {
        ((raw << shift) as i64 >> shift) as i128
    } else {
        ((raw << shift) >> shift) as i128
    }
}

/// Bytes of the on-stack frame [`Function::call`] fills (16 per argument).
const FRAME_FAST_BYTES: usize = 16 * SIMPLE_ARGS;

impl FrameFast {
    /// The converter for `simple` with the frame `offsets` of its call, or
    /// `None` when a parameter or the result is not of the kinds above.
    fn new(
        simple: &Simple,
        trampoline: crate::call::DirectEntry,
        code: *const c_void,
        offsets: &[u32],
    ) -> Option<FrameFast> {
        if offsets.len() != simple.params.len() {
            return None;
        }
        let args = simple
            .params
            .iter()
            .zip(offsets)
            .map(|(p, &off)| {
                if off as usize + 8 > FRAME_FAST_BYTES {
                    return None;
                }
                let kind = match *p {
                    SimpleParam::Double => FrameKind::Double,
                    SimpleParam::Int { min, max, .. } if min == i64::MIN as i128 && max == i64::MAX as i128 => {
                        FrameKind::Signed64
                    }
                    SimpleParam::Int { min: 0, max, .. } if max == u64::MAX as i128 => FrameKind::Unsigned64,
                    SimpleParam::Int { min, max, .. } => FrameKind::Narrow {
                        min: i64::try_from(min).ok()?,
                        max: i64::try_from(max).ok()?,
                    },
                    _ => return None,
                };
                Some((off, kind))
            })
            .collect::<Option<Box<[_]>>>()?;
        let ret = match simple.ret {
            r @ (SimpleRet::Void | SimpleRet::Int { .. } | SimpleRet::Double) => r,
            _ => return None,
        };
        let all_signed64 = args
            .iter()
            .enumerate()
            .all(|(i, &(off, k))| off as usize == 16 * i && matches!(k, FrameKind::Signed64));
        Some(FrameFast {
            trampoline,
            code,
            args,
            all_signed64,
            ret,
        })
    }

    /// The per-signature path of [`Function::call`]: each argument converted
    /// straight into an on-stack argument frame, the JIT tier's frame
    /// trampoline called (no argument pointers, no NULL checks), the result
    /// decoded. `None` (nothing called) when an argument is not the exact
    /// kind this path takes.
    ///
    /// # Safety
    /// As for [`Function::call`].
    #[inline]
    unsafe fn call(&self, args: &[Value]) -> Option<Value> {
        if args.len() != self.args.len() {
            return None;
        }
        #[repr(C, align(16))]
        struct Frame([std::mem::MaybeUninit<u64>; FRAME_FAST_BYTES / 8]);
        let mut frame = Frame([std::mem::MaybeUninit::uninit(); FRAME_FAST_BYTES / 8]);
        let base = frame.0.as_mut_ptr() as *mut u8;
        if self.all_signed64 {
            for (k, v) in args.iter().enumerate() {
                let Value::Int(x) = v else { return None };
                let x = i64::try_from(*x).ok()?;
                // SAFETY: `16 * k + 8 <= FRAME_FAST_BYTES` (`args.len()` is
                // the parameter count, at most SIMPLE_ARGS).
                unsafe { (base.add(16 * k) as *mut i64).write(x) };
            }
        } else {
            self.fill(args, base)?;
        }
        let mut ret = [0u64; 2];
        let (trampoline, code) = (self.trampoline, self.code);
        // SAFETY: the frame trampoline was generated for this call's plan and
        // frame layout and lives as long as the `Function` (see `FrameFast`);
        // every argument slot holds a value of its type; `ret` has room for
        // any of the results taken.
        errno::around(|| unsafe { trampoline(code, base as *const *const c_void, ret.as_mut_ptr() as *mut c_void) });
        Some(match self.ret {
            SimpleRet::Int { size, signed } => Value::Int(int_result(ret[0], size, signed)),
            SimpleRet::Double => Value::Float(f64::from_bits(ret[0])),
            _ => Value::Null,
        })
    }

    /// Writes `args` into the frame at `base` (see [`FrameFast::call`]);
    /// `None` for an argument of another kind.
    fn fill(&self, args: &[Value], base: *mut u8) -> Option<()> {
        for (&(off, kind), v) in self.args.iter().zip(args) {
            // SAFETY: `off + 8 <= FRAME_FAST_BYTES` (checked in `FrameFast::new`),
            // 8-aligned (frame slots are 16-aligned).
            let slot = unsafe { base.add(off as usize) };
            let bits = match (kind, v) {
                (FrameKind::Signed64, Value::Int(x)) => i64::try_from(*x).ok()? as u64,
                (FrameKind::Unsigned64, Value::Int(x)) => u64::try_from(*x).ok()?,
                (FrameKind::Narrow { min, max }, Value::Int(x)) => {
                    let x = i64::try_from(*x).ok().filter(|x| (min..=max).contains(x))?;
                    x as u64
                }
                (FrameKind::Double, Value::Float(x)) => x.to_bits(),
                // Anything else (conversions, errors): the general paths.
                _ => return None,
            };
            // SAFETY: see `slot`; little-endian, so a narrower argument's
            // bytes are the low bytes the trampoline reads.
            unsafe { (slot as *mut u64).write(bits) };
        }
        Some(())
    }
}

/// Most arguments the allocation-free path takes.
const SIMPLE_ARGS: usize = 16;

/// A signature of scalar (primitive, enum, pointer) parameters and a
/// scalar or `void` result: [`Function::call`] converts into stack slots and
/// decodes the result without the type table.
struct Simple {
    /// How each parameter is encoded.
    params: Box<[SimpleParam]>,
    /// Some parameter needs the type table (enums, pointers).
    needs_types: bool,
    ret: SimpleRet,
}

#[derive(Clone, Copy)]
enum SimpleParam {
    /// An integer of at most 64 bits given as `Value::Int` in `min..=max`:
    /// stored as is (anything else: [`SimpleParam::Prim`]'s conversion).
    Int { min: i128, max: i128, prim: Prim },
    /// A `double` given as `Value::Float`.
    Double,
    /// A primitive: encoded without the type table.
    Prim(Prim),
    /// An enum (enumerator names need the table).
    Enum,
    /// A pointer (a `Str`, list or array object given for one needs a
    /// temporary buffer: the general path).
    Pointer,
}

#[derive(Clone, Copy)]
enum SimpleRet {
    Void,
    /// An integer of at most 64 bits: `size` bytes, sign-extended or not.
    Int {
        size: u8,
        signed: bool,
    },
    Double,
    Prim(Prim),
    Pointer(TypeId),
}

impl Simple {
    fn new(t: &Types, params: &[TypeId], ret: TypeId, variadic: bool) -> Option<Simple> {
        if variadic || params.len() > SIMPLE_ARGS {
            return None;
        }
        let scalar = |ty: TypeId| match t.kind(ty) {
            TypeKind::Pointer(_) => Some(SimpleParam::Pointer),
            TypeKind::Prim(Prim::Void) => None,
            TypeKind::Prim(Prim::Double) => Some(SimpleParam::Double),
            TypeKind::Prim(p) if p.is_integer() && *p != Prim::Bool && p.size_align(t.target()).0 <= 8 => {
                let bits = p.size_align(t.target()).0 as u32 * 8;
                let (min, max) = if p.is_signed(t.target()) {
                    (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
                } else {
                    (0, (1i128 << bits) - 1)
                };
                Some(SimpleParam::Int { min, max, prim: *p })
            }
            TypeKind::Prim(p) => Some(SimpleParam::Prim(*p)),
            TypeKind::Enum(_) => Some(SimpleParam::Enum),
            _ => None,
        };
        let params = params
            .iter()
            .map(|&p| scalar(p))
            .collect::<Option<Box<[SimpleParam]>>>()?;
        let needs_types = params
            .iter()
            .any(|p| matches!(p, SimpleParam::Enum | SimpleParam::Pointer));
        let ret = match t.kind(ret) {
            TypeKind::Prim(Prim::Void) => SimpleRet::Void,
            TypeKind::Pointer(pt) => SimpleRet::Pointer(*pt),
            TypeKind::Prim(Prim::Double) => SimpleRet::Double,
            TypeKind::Prim(p) if p.is_integer() && *p != Prim::Bool && p.size_align(t.target()).0 <= 8 => {
                SimpleRet::Int {
                    size: p.size_align(t.target()).0 as u8,
                    signed: p.is_signed(t.target()),
                }
            }
            TypeKind::Prim(_) | TypeKind::Enum(_) => SimpleRet::Prim(t.as_prim(ret)?),
            _ => return None,
        };
        Some(Simple {
            params,
            needs_types,
            ret,
        })
    }
}

// SAFETY: `code` (and `frame_fast`'s copy of it) is the address of a C
// function, callable from any thread; `frame_fast`'s trampoline is immutable
// generated code owned by `fixed`; the other fields are Send + Sync.
unsafe impl Send for Function {}
// SAFETY: `&Function` only reads `code` and immutable fields, and the
// variadic cache is behind a mutex.
unsafe impl Sync for Function {}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("code", &self.code)
            .finish()
    }
}

impl Function {
    /// A function of type `ty` at `code`.
    ///
    /// # Safety
    /// `code` must be the address of a function that stays valid while the
    /// result lives (`keepalive` may hold what keeps it valid). That it has
    /// type `ty` on the host ABI is promised again at each call
    /// ([`Function::call`] is `unsafe`).
    pub unsafe fn from_raw(
        types: SharedTypes,
        name: &str,
        ty: TypeId,
        code: *const c_void,
        keepalive: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Result<Function> {
        let (params, ret, variadic, fixed, simple) = {
            let t = read(&types);
            let sig = t
                .sig_of(ty)
                .ok_or_else(|| {
                    Error::call(
                        CallErrorKind::NotAFunction,
                        None,
                        format!("`{name}` is not a function (type `{}`)", t.display(ty)),
                    )
                })?
                .clone();
            let fixed = if sig.variadic {
                None
            } else {
                // SAFETY: `code` stays valid while the result lives (this
                // function's contract), which is what `RawCall::new` needs.
                Some(unsafe { RawCall::new(&t, ty, &[], code, keepalive.clone()) }.map_err(|e| prefix(name, e))?)
            };
            let simple = Simple::new(&t, &sig.params, sig.ret, sig.variadic);
            (sig.params, sig.ret, sig.variadic, fixed, simple)
        };
        let frame_fast = match (&simple, &fixed) {
            (Some(s), Some(raw)) => raw
                .frame_entry()
                .zip(raw.frame_layout().ok())
                .and_then(|(t, (offs, _))| FrameFast::new(s, t, raw.code(), offs)),
            _ => None,
        };
        Ok(Function {
            name: name.to_string(),
            types,
            ty,
            code,
            keepalive,
            fixed,
            params,
            ret,
            variadic,
            var_cache: Mutex::new(HashMap::new()),
            simple,
            frame_fast,
        })
    }

    /// The C name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The function type.
    pub fn ty(&self) -> TypeId {
        self.ty
    }

    /// The address of the function.
    pub fn code(&self) -> *const c_void {
        self.code
    }

    /// The prepared raw call (non-variadic functions); see [`RawCall::call`].
    pub fn raw(&self) -> Option<&RawCall> {
        self.fixed.as_ref()
    }

    /// A prepared raw call for a variadic function with these variadic
    /// argument types (cached).
    pub fn raw_variadic(&self, var_types: &[TypeId]) -> Result<RawCall> {
        if !self.variadic {
            return match (&self.fixed, var_types.is_empty()) {
                (Some(r), true) => Ok(r.clone()),
                _ => Err(Error::call(
                    CallErrorKind::NotVariadic,
                    None,
                    format!("`{}` is not variadic", self.name),
                )),
            };
        }
        let mut cache = self.var_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = cache.get(var_types) {
            return Ok(r.clone());
        }
        let t = read(&self.types);
        // SAFETY: `code` has type `ty` (contract of `from_raw`).
        let r = unsafe { RawCall::new(&t, self.ty, var_types, self.code, self.keepalive.clone()) }
            .map_err(|e| prefix(&self.name, e))?;
        if cache.len() < 256 {
            cache.insert(var_types.to_vec(), r.clone());
        }
        Ok(r)
    }

    /// Calls with dynamic values, converted with cffi's checks. For the
    /// variadic part, types are inferred from the values (see
    /// [`Function::call_variadic`] to give them). Returns `Value::Null` for
    /// `void`; a struct/union result is an owned copy.
    ///
    /// Signatures of scalars (numbers, enums, pointers; result scalar or
    /// `void`, at most 16 parameters) take a path that makes no heap
    /// allocation: arguments are converted into stack slots, the prepared
    /// call runs on its default tier, the result is decoded from a stack
    /// buffer. (A `Str` or list given for a pointer parameter needs a
    /// temporary C copy and takes the general path.)
    ///
    /// # Safety
    /// Calling native code through a user-written declaration cannot be
    /// checked: the caller promises that the declaration is the function's
    /// real signature, and that the call with these arguments is sound by
    /// the function's own contract (pointers valid for what it does with
    /// them, buffers large enough, no data race, no unwinding into Rust).
    /// What abicall checks is listed in the crate's
    /// [safety model](crate#safety-model).
    pub unsafe fn call(&self, args: &[Value]) -> Result<Value> {
        if let Some(ff) = &self.frame_fast {
            // SAFETY: our caller's contract is `FrameFast::call`'s.
            if let Some(v) = unsafe { ff.call(args) } {
                return Ok(v);
            }
        }
        // SAFETY: our caller's contract is `call_other`'s.
        unsafe { self.call_other(args) }
    }

    /// [`Function::call`] past the per-signature converter (kept out of
    /// line: its stack slots and conversions would otherwise be set up on
    /// every call).
    ///
    /// # Safety
    /// As for [`Function::call`].
    #[inline(never)]
    unsafe fn call_other(&self, args: &[Value]) -> Result<Value> {
        // SAFETY: our caller's contract is `call_simple`'s.
        if let Some(r) = unsafe { self.call_simple(args) } {
            return r;
        }
        // SAFETY: our caller's contract is `call_inner`'s.
        unsafe { self.call_inner(args, None) }
    }

    /// The allocation-free path of [`Function::call`]; `None` when the call
    /// needs the general path (which also reports every conversion error).
    ///
    /// # Safety
    /// As for [`Function::call`].
    #[inline]
    unsafe fn call_simple(&self, args: &[Value]) -> Option<Result<Value>> {
        let simple = self.simple.as_ref()?;
        let raw = self.fixed.as_ref()?;
        let n = args.len();
        if n != simple.params.len() {
            return None;
        }
        let target = raw.plan().target;
        #[repr(C, align(16))]
        struct Slot([u8; MAX_SCALAR]);
        let mut slots: [std::mem::MaybeUninit<Slot>; SIMPLE_ARGS] =
            [const { std::mem::MaybeUninit::uninit() }; SIMPLE_ARGS];
        let mut ptrs = [std::ptr::null::<c_void>(); SIMPLE_ARGS];
        {
            let t = simple.needs_types.then(|| read(&self.types));
            for (i, v) in args.iter().enumerate() {
                match (simple.params[i], v) {
                    (SimpleParam::Int { min, max, .. }, Value::Int(x)) if (min..=max).contains(x) => {
                        // Little-endian: the low bytes are the value.
                        let slot = slots[i].as_mut_ptr() as *mut i64;
                        // SAFETY: the slot has room for 8 bytes, 16-aligned.
                        unsafe { slot.write(*x as i64) };
                        ptrs[i] = slot as *const c_void;
                        continue;
                    }
                    (SimpleParam::Double, Value::Float(x)) => {
                        let slot = slots[i].as_mut_ptr() as *mut f64;
                        // SAFETY: the slot has room for 8 bytes and is 16-aligned.
                        unsafe { slot.write(*x) };
                        ptrs[i] = slot as *const c_void;
                        continue;
                    }
                    _ => {}
                }
                let slot = slots[i].write(Slot([0; MAX_SCALAR]));
                match (simple.params[i], &t) {
                    (SimpleParam::Int { prim: p, .. }, _) => {
                        encode_prim(p, target, v, &mut slot.0, &String::new).ok()?;
                    }
                    (SimpleParam::Double, _) => {
                        encode_prim(Prim::Double, target, v, &mut slot.0, &String::new).ok()?;
                    }
                    (SimpleParam::Prim(p), _) => {
                        // Errors are reported by the general path.
                        encode_prim(p, target, v, &mut slot.0, &String::new).ok()?;
                    }
                    (SimpleParam::Pointer, _) if matches!(v, Value::Str(_) | Value::List(_) | Value::CData(_)) => {
                        return None
                    }
                    (_, Some(t)) => {
                        encode_value(t, self.params[i], v, &mut slot.0).ok()?;
                    }
                    (_, None) => return None,
                }
                ptrs[i] = slot.0.as_ptr() as *const c_void;
            }
        }
        let mut ret = Slot([0; MAX_SCALAR]);
        // SAFETY: every pointer refers to an encoded value of the planned
        // type in `slots`; `ret` has room for any scalar result.
        if let Err(e) = unsafe { raw.call(&ptrs[..n], ret.0.as_mut_ptr() as *mut c_void) } {
            return Some(Err(prefix(&self.name, e)));
        }
        Some(Ok(match simple.ret {
            SimpleRet::Void => Value::Null,
            SimpleRet::Int { size, signed } => Value::Int(int_result(
                u64::from_le_bytes(ret.0[..8].try_into().ok()?),
                size,
                signed,
            )),
            SimpleRet::Double => Value::Float(f64::from_le_bytes(ret.0[..8].try_into().ok()?)),
            SimpleRet::Prim(p) => decode_prim(p, target, &ret.0),
            SimpleRet::Pointer(pt) => {
                Value::Pointer(Ptr::new(u64::from_le_bytes(ret.0[..8].try_into().ok()?) as usize, pt))
            }
        }))
    }

    /// Calls a variadic function giving the C types of the variadic
    /// arguments (before promotion: `float` is passed as `double`).
    ///
    /// # Safety
    /// As for [`Function::call`], and the variadic types are those the
    /// function reads with `va_arg`.
    pub unsafe fn call_variadic(&self, args: &[Value], var_types: &[TypeId]) -> Result<Value> {
        // SAFETY: our caller's contract is `call_inner`'s.
        unsafe { self.call_inner(args, Some(var_types)) }
    }

    /// # Safety
    /// The contract of [`Function::call`].
    unsafe fn call_inner(&self, args: &[Value], var_types: Option<&[TypeId]>) -> Result<Value> {
        let nfixed = self.params.len();
        if args.len() < nfixed || (!self.variadic && args.len() != nfixed) {
            return Err(Error::call(
                CallErrorKind::ArgumentCount,
                None,
                format!(
                    "`{}` takes {}{} argument(s), {} given",
                    self.name,
                    if self.variadic { "at least " } else { "" },
                    nfixed,
                    args.len()
                ),
            ));
        }
        let var_types: Vec<TypeId> = match var_types {
            Some(v) if v.len() != args.len() - nfixed => {
                return Err(Error::call(
                    CallErrorKind::ArgumentCount,
                    None,
                    format!(
                        "`{}`: {} variadic argument(s) but {} type(s) given",
                        self.name,
                        args.len() - nfixed,
                        v.len()
                    ),
                ))
            }
            Some(v) => v.to_vec(),
            None if self.variadic => {
                let mut t = self.types.write().unwrap_or_else(|e| e.into_inner());
                args[nfixed..]
                    .iter()
                    .enumerate()
                    .map(|(k, v)| convert::infer_variadic(&mut t, nfixed + k, v))
                    .collect::<Result<_>>()
                    .map_err(|e| prefix(&self.name, e))?
            }
            None => Vec::new(),
        };
        let raw = match &self.fixed {
            Some(r) => r.clone(),
            None => self.raw_variadic(&var_types)?,
        };
        let t = read(&self.types);
        let mut store = ArgStore::default();
        for (i, v) in args.iter().enumerate() {
            let ty = if i < nfixed {
                self.params[i]
            } else {
                var_types[i - nfixed]
            };
            store.push(&t, i, ty, v).map_err(|e| prefix(&self.name, e))?;
        }
        let ptrs = store.pointers()?;
        let mut ret = Bytes::zeroed(raw.ret_size());
        // The type table is not locked during the C call: a callback running
        // on this thread takes the lock itself, and a writer queued meanwhile
        // on another thread would otherwise deadlock the re-entrant read.
        drop(t);
        // SAFETY: every pointer refers to a converted value of the planned
        // type kept alive by `store`; `ret` has `ret_size` bytes; that the
        // function has the declared type and accepts these values is the
        // promise of `call` / `call_variadic`, our callers.
        unsafe { raw.call(&ptrs, ret.as_mut_ptr() as *mut c_void) }.map_err(|e| prefix(&self.name, e))?;
        drop(store);
        let t = read(&self.types);
        convert::read_value(&t, self.ret, ret.as_slice())
    }
}

fn prefix(name: &str, e: Error) -> Error {
    match e {
        Error::Call {
            kind,
            argument,
            message,
        } => Error::call(kind, argument, format!("`{name}`: {message}")),
        Error::Abi {
            kind,
            argument,
            message,
        } => Error::abi(kind, argument, format!("`{name}`: {message}")),
        Error::Argument {
            function,
            index,
            message,
        } if function.is_empty() => Error::Argument {
            function: name.to_string(),
            index,
            message,
        },
        other => other,
    }
}
