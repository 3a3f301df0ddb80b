//! The libffi types synthesized from call plans (`abi::ffi_shape`) make
//! libffi pass and return every oracle signature the way gcc-compiled code
//! expects: each case is called through `ffi_call` on a gcc-built shared
//! object whose functions record the bytes of every argument they received
//! and return a known pattern. x86_64 hosts only (this is the one test of
//! the plan layer that executes code; elsewhere listed as ignored, with the
//! reason).
#![cfg_attr(
    not(all(target_arch = "x86_64", target_os = "linux")),
    allow(dead_code, unused_imports)
)]

use crate::support::abi as abi_support;

use abi_support::{c_defs, cases, pattern, pattern_promoted, require_tool, B};
use abicall::abi::ffi_shape::{ffi_return_type, ffi_type, libffi_limitation, FfiType};
use abicall::abi::CallPlan;
use abicall::types::{Prim, TypeId};
use abicall::Target;
use libffi::raw;
use std::fmt::Write as _;
use std::os::raw::c_void;
use std::process::Command;
use std::ptr::{addr_of_mut, null_mut};

const SLOT: usize = 64;

/// Owns the `ffi_type` trees built for one CIF (addresses stay stable).
#[derive(Default)]
struct Arena {
    // Boxed: libffi keeps pointers to them while the Vec grows.
    #[allow(clippy::vec_box)]
    types: Vec<Box<raw::ffi_type>>,
    elems: Vec<Box<[*mut raw::ffi_type]>>,
}

impl Arena {
    fn build(&mut self, t: &FfiType) -> *mut raw::ffi_type {
        // Addresses of libffi's static type descriptors (only read by libffi).
        match t {
            FfiType::Omit | FfiType::Void => addr_of_mut!(raw::ffi_type_void),
            FfiType::U8 => addr_of_mut!(raw::ffi_type_uint8),
            FfiType::S8 => addr_of_mut!(raw::ffi_type_sint8),
            FfiType::U16 => addr_of_mut!(raw::ffi_type_uint16),
            FfiType::S16 => addr_of_mut!(raw::ffi_type_sint16),
            FfiType::U32 => addr_of_mut!(raw::ffi_type_uint32),
            FfiType::S32 => addr_of_mut!(raw::ffi_type_sint32),
            FfiType::U64 => addr_of_mut!(raw::ffi_type_uint64),
            FfiType::S64 => addr_of_mut!(raw::ffi_type_sint64),
            FfiType::Float => addr_of_mut!(raw::ffi_type_float),
            FfiType::Double => addr_of_mut!(raw::ffi_type_double),
            FfiType::LongDouble => addr_of_mut!(raw::ffi_type_longdouble),
            FfiType::Pointer => addr_of_mut!(raw::ffi_type_pointer),
            FfiType::Complex(_) => unreachable!("filtered out by the caller"),
            FfiType::Struct { size, align, elems } => {
                let mut v: Vec<*mut raw::ffi_type> = elems.iter().map(|e| self.build(e)).collect();
                v.push(null_mut());
                self.strukt(*size, *align, v)
            }
            FfiType::Memory { size, align } => {
                let inner = self.strukt(33, 1, vec![null_mut()]);
                self.strukt(*size, *align, vec![inner, null_mut()])
            }
        }
    }

    fn strukt(&mut self, size: u64, align: u64, elems: Vec<*mut raw::ffi_type>) -> *mut raw::ffi_type {
        let mut elems = elems.into_boxed_slice();
        let t = Box::new(raw::ffi_type {
            size: size as usize,
            alignment: align as u16,
            type_: raw::FFI_TYPE_STRUCT,
            elements: elems.as_mut_ptr(),
        });
        self.elems.push(elems);
        self.types.push(t);
        let last = self.types.last_mut().unwrap();
        &mut **last as *mut raw::ffi_type
    }
}

#[repr(C, align(16))]
#[derive(Clone, Copy)]
struct Buf([u8; SLOT]);

fn c_source(b: &mut B, cases: &[abi_support::Case], plans: &[CallPlan]) -> String {
    let mut roots: Vec<TypeId> = Vec::new();
    for c in cases {
        roots.push(c.ret);
        roots.extend(&c.args);
    }
    let mut s = String::from("#include <string.h>\n#include <stdarg.h>\nunsigned char argbuf[4096];\n");
    s.push_str(&c_defs(&b.t, &roots));
    for (n, (c, plan)) in cases.iter().zip(plans).enumerate() {
        let fixed = c.fixed.unwrap_or(c.args.len());
        let mut params: Vec<String> = (0..fixed).map(|k| b.t.declare(c.args[k], &format!("a{k}"))).collect();
        if c.fixed.is_some() {
            params.push("...".into());
        }
        let mut body = String::new();
        if c.fixed.is_some() {
            let _ = write!(body, "va_list ap; va_start(ap, a{}); ", fixed - 1);
        }
        for (k, a) in plan.args.iter().enumerate() {
            if k >= fixed {
                let t = match a.promoted {
                    Some(p) => p.c_name().to_string(),
                    None => b.t.display(c.args[k]),
                };
                let _ = write!(body, "{t} a{k} = va_arg(ap, {t}); ");
            }
            let _ = write!(body, "memcpy(argbuf + {}, &a{k}, sizeof a{k}); ", k * SLOT);
        }
        if c.fixed.is_some() {
            body.push_str("va_end(ap); ");
        }
        if plan.ret.size > 0 {
            let (rp, _) = pattern(&b.t, c.ret, 99);
            let bytes: Vec<String> = rp.iter().map(|x| x.to_string()).collect();
            let _ = write!(
                body,
                "static const unsigned char rp[] = {{{}}}; {}; memcpy(&r, rp, sizeof r); return r; ",
                bytes.join(","),
                b.t.declare(c.ret, "r")
            );
        } else if !matches!(b.t.kind(c.ret), abicall::types::TypeKind::Prim(Prim::Void)) {
            let _ = write!(body, "{}; return r; ", b.t.declare(c.ret, "r"));
        }
        let _ = writeln!(
            s,
            "{} {{ {body}}}",
            b.t.declare(c.ret, &format!("f{n}({})", params.join(", ")))
        );
    }
    s
}

#[test]
#[cfg_attr(
    not(all(target_arch = "x86_64", target_os = "linux")),
    ignore = "x86_64 host only: raw libffi shapes; on aarch64 abicall pads pairs and copies large composites itself (aapcs64_shapes, conformance)"
)]
fn libffi_with_synthesized_types_matches_gcc() {
    require_tool("gcc", "gcc");
    let mut b = B::new(Target::X86_64SysV);
    let cases = cases(&mut b);
    let plans: Vec<CallPlan> = cases
        .iter()
        .map(|c| match c.fixed {
            Some(n) => b.vplan(c.ret, &c.args, n),
            None => b.plan(c.ret, &c.args),
        })
        .collect();
    let src = c_source(&mut b, &cases, &plans);
    let dir = std::env::temp_dir().join(format!("abicall-abi-libffi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cfile, so) = (dir.join("f.c"), dir.join("libf.so"));
    std::fs::write(&cfile, &src).unwrap();
    let out = Command::new("gcc")
        .args(["-O2", "-w", "-shared", "-fPIC", "-o"])
        .arg(&so)
        .arg(&cfile)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gcc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // SAFETY: loading a library we just built; its initializers do nothing.
    let lib = unsafe { libloading::Library::new(&so) }.unwrap();
    // SAFETY: `argbuf` is an `unsigned char[4096]` in that library.
    let argbuf: *const u8 = unsafe { *lib.get::<*const u8>(b"argbuf\0").unwrap() };

    let types = &b.t;
    let mut failures = Vec::new();
    let mut needs_complex = Vec::new();
    let mut beyond_libffi = Vec::new();
    for (n, (c, plan)) in cases.iter().zip(&plans).enumerate() {
        let rt = ffi_return_type(types, &plan.ret);
        if let FfiType::Complex(_) = rt {
            // libffi-sys is built without its `complex` feature.
            needs_complex.push(c.name);
            continue;
        }
        if libffi_limitation(plan).is_some() {
            beyond_libffi.push(c.name);
            continue;
        }
        let mut arena = Arena::default();
        let mut atypes = Vec::new();
        let mut bufs: Vec<Buf> = Vec::new();
        let mut passed = Vec::new(); // indices of arguments in the CIF
        for (k, a) in plan.args.iter().enumerate() {
            let ft = ffi_type(types, a);
            if ft == FfiType::Omit {
                continue;
            }
            let (pat, _) = pattern_promoted(types, c.args[k], a.promoted, k as u32);
            let mut buf = Buf([0; SLOT]);
            buf.0[..pat.len()].copy_from_slice(&pat);
            bufs.push(buf);
            atypes.push(arena.build(&ft));
            passed.push(k);
        }
        let rtype = arena.build(&rt);
        let nfixed = plan.args[..plan.fixed_args]
            .iter()
            .filter(|a| ffi_type(types, a) != FfiType::Omit)
            .count();
        // SAFETY: all-zero is a valid `ffi_cif` before `ffi_prep_cif*`.
        let mut cif: raw::ffi_cif = unsafe { std::mem::zeroed() };
        // SAFETY: the type trees live in `arena` and `atypes` until after the call.
        let status = unsafe {
            if plan.variadic {
                raw::ffi_prep_cif_var(
                    &mut cif,
                    raw::ffi_abi_FFI_DEFAULT_ABI,
                    nfixed as u32,
                    atypes.len() as u32,
                    rtype,
                    atypes.as_mut_ptr(),
                )
            } else {
                raw::ffi_prep_cif(
                    &mut cif,
                    raw::ffi_abi_FFI_DEFAULT_ABI,
                    atypes.len() as u32,
                    rtype,
                    atypes.as_mut_ptr(),
                )
            }
        };
        if status != raw::ffi_status_FFI_OK {
            failures.push(format!("{}: ffi_prep_cif failed ({status})", c.name));
            continue;
        }
        let name = format!("f{n}\0");
        // SAFETY: `fN` is a function in the library; it is only called through the CIF.
        let f: unsafe extern "C" fn() = unsafe { *lib.get::<unsafe extern "C" fn()>(name.as_bytes()).unwrap() };
        let mut avalues: Vec<*mut c_void> = bufs.iter_mut().map(|b| b.0.as_mut_ptr() as *mut c_void).collect();
        let mut ret = Buf([0; SLOT]);
        // SAFETY: the CIF matches `fN`'s C signature by construction (this is what
        // the test checks); every argument buffer and the return buffer are 64
        // bytes, larger than any value or libffi's widened return.
        unsafe {
            raw::ffi_call(
                &mut cif,
                Some(f),
                ret.0.as_mut_ptr() as *mut c_void,
                avalues.as_mut_ptr(),
            )
        };
        let snap = plan.to_snapshot(types);
        for &k in &passed {
            let a = &plan.args[k];
            let (pat, mask) = pattern_promoted(types, c.args[k], a.promoted, k as u32);
            // SAFETY: argbuf has 4096 bytes; k * 64 + len <= 23 * 64 + 64.
            let got = unsafe { std::slice::from_raw_parts(argbuf.add(k * SLOT), pat.len()) };
            if let Some(j) = (0..pat.len()).find(|&j| (got[j] ^ pat[j]) & mask[j] != 0) {
                failures.push(format!(
                    "{}: arg{k} byte {j}: C received {:02x}, expected {:02x}\n{snap}",
                    c.name, got[j], pat[j]
                ));
            }
        }
        if plan.ret.size > 0 {
            let (rp, mask) = pattern(types, c.ret, 99);
            if let Some(j) = (0..rp.len()).find(|&j| (ret.0[j] ^ rp[j]) & mask[j] != 0) {
                failures.push(format!(
                    "{}: return byte {j}: got {:02x}, expected {:02x}\n{snap}",
                    c.name, ret.0[j], rp[j]
                ));
            }
        }
    }
    drop(lib);
    assert_eq!(
        needs_complex,
        ["r14 long double _Complex"],
        "cases needing libffi complex support"
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "{} mismatch(es):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
