//! `RawCall::call` takes the argument pointers as `&[*const c_void]` and
//! must leave them as they were: libffi's x86_64 `ffi_call` replaces
//! `avalue[i]` of an argument over 16 bytes with a pointer to its own
//! stack copy, so the engine must hand it a copy of the array. A caller
//! that reuses its array (interpreters do) would otherwise pass dangling
//! pointers on the next call (found by abi-test's dump-stub check, issue 18).

use crate::support::fixtures;
use abicall::call::RawCall;
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, Types};
use abicall::Target;
use std::ffi::c_void;

#[test]
fn a_reused_argument_array_stays_valid_on_every_tier() {
    // SAFETY: the fixture library has no unsafe initialisers.
    let lib = unsafe { libloading::Library::new(fixtures::fixtures_so()) }.unwrap();
    // SAFETY: address only.
    let echo8 = unsafe { *lib.get::<*const c_void>(b"fx_row8_echo").unwrap() };
    let mut t = Types::new(Target::host().unwrap());
    let l = t.prim(Prim::Long);
    // struct fx_r8 { long a, b, c; } fx_row8_echo(struct fx_r8): 24 bytes, MEMORY.
    let r8 = t
        .define_record(
            RecordKind::Struct,
            None,
            vec![FieldDecl::new("a", l), FieldDecl::new("b", l), FieldDecl::new("c", l)],
            RecordAttrs::default(),
        )
        .unwrap();
    let fty = t.func(r8, vec![r8], false);
    // SAFETY: the declaration matches the fixture (abi_cases.h).
    let mut call = unsafe { RawCall::new(&t, fty, &[], echo8, None) }.unwrap();
    for fast in [false, true] {
        call.set_fast_path(fast);
        let arg: [i64; 3] = [11, -22, 33];
        let args = [arg.as_ptr() as *const c_void];
        for round in 0..3 {
            let mut out = [0i64; 3];
            // SAFETY: `args[0]` points to a `struct fx_r8`, `out` has room for one.
            unsafe { call.call(&args, out.as_mut_ptr() as *mut c_void) }.unwrap();
            assert_eq!(out, arg, "fast path {fast}, call {round}");
            assert_eq!(args[0], arg.as_ptr() as *const c_void, "the argument array was changed");
        }
    }
}
