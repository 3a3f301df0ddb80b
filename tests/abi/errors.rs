//! Planning errors are structured: [`AbiErrorKind`] and the argument index.

use abicall::abi::{plan_call, plan_func};
use abicall::types::{Prim, RecordKind, Types};
use abicall::{AbiErrorKind, Error, Target};

fn abi_kind(e: Error) -> (AbiErrorKind, Option<usize>) {
    match e {
        Error::Abi { kind, argument, .. } => (kind, argument),
        other => panic!("expected a call plan error, got {other:?}"),
    }
}

#[test]
fn plan_errors_carry_their_kind_and_argument() {
    for target in [Target::X86_64SysV, Target::Aarch64Linux, Target::Aarch64Apple] {
        let mut t = Types::new(target);
        let int = t.prim(Prim::Int);
        let void = t.prim(Prim::Void);
        let arr = t.array(int, Some(4));
        let fwd = t.declare_record(RecordKind::Struct, Some("fwd"));
        let f = t.func(int, vec![int], false);
        let fp = t.pointer(f);
        let char_ = t.prim(Prim::Char);
        let huge = t.array(char_, Some((1 << 32) + 8));
        let big = t.declare_record(RecordKind::Struct, Some("big"));
        t.complete_record(
            big,
            vec![abicall::types::FieldDecl {
                name: Some("b".into()),
                ty: huge,
                bit_width: None,
                packed: false,
                align_attr: None,
            }],
            Default::default(),
        )
        .unwrap();
        let check = |r: abicall::Result<_>, want| assert_eq!(abi_kind(r.unwrap_err()), want, "{target}");
        check(
            plan_call(&t, int, &[int, arr], 2, false),
            (AbiErrorKind::NotPassable, Some(1)),
        );
        check(
            plan_call(&t, int, &[void], 1, false),
            (AbiErrorKind::NotPassable, Some(0)),
        );
        check(
            plan_call(&t, int, &[int, f], 2, false),
            (AbiErrorKind::NotPassable, Some(1)),
        );
        check(
            plan_call(&t, int, &[int, int, fwd], 3, false),
            (AbiErrorKind::Incomplete, Some(2)),
        );
        check(plan_call(&t, fwd, &[], 0, false), (AbiErrorKind::Incomplete, None));
        check(plan_call(&t, arr, &[], 0, false), (AbiErrorKind::NotPassable, None));
        check(plan_call(&t, int, &[big], 1, false), (AbiErrorKind::TooLarge, Some(0)));
        check(
            plan_call(&t, int, &[int, int], 1, false),
            (AbiErrorKind::ArgumentCount, None),
        );
        check(plan_func(&t, int, &[]), (AbiErrorKind::NotAFunction, None));
        check(plan_func(&t, fp, &[int]), (AbiErrorKind::NotVariadic, None));
        assert!(plan_func(&t, fp, &[]).is_ok());
    }
}
