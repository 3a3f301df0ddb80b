//! Layout errors are structured: a caller branches on
//! [`LayoutErrorKind`] and reads the type concerned, not the message.

use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, Types};
use abicall::{Error, LayoutErrorKind, Target};

fn member(name: &str, ty: abicall::types::TypeId, bits: Option<u32>) -> FieldDecl {
    FieldDecl {
        name: Some(name.to_string()),
        ty,
        bit_width: bits,
        packed: false,
        align_attr: None,
    }
}

fn layout_kind(e: &Error) -> (LayoutErrorKind, String) {
    match e {
        Error::Layout { kind, ty, .. } => (*kind, ty.clone()),
        other => panic!("expected a layout error, got {other:?}"),
    }
}

#[test]
fn record_errors_name_the_record_and_their_kind() {
    let mut t = Types::new(Target::X86_64SysV);
    let int = t.prim(Prim::Int);
    let double = t.prim(Prim::Double);
    let cases: Vec<(&str, Vec<FieldDecl>, LayoutErrorKind)> = vec![
        ("wide", vec![member("a", int, Some(33))], LayoutErrorKind::Bitfield),
        ("flt", vec![member("d", double, Some(3))], LayoutErrorKind::Bitfield),
        (
            "dup",
            vec![member("a", int, None), member("a", double, None)],
            LayoutErrorKind::Member,
        ),
    ];
    for (tag, fields, want) in cases {
        let s = t.declare_record(RecordKind::Struct, Some(tag));
        let e = t.complete_record(s, fields, RecordAttrs::default()).unwrap_err();
        assert_eq!(layout_kind(&e), (want, format!("struct {tag}")), "{e}");
        assert!(e.to_string().starts_with("layout error: "), "{e}");
    }
    // An incomplete member: the record is named, the kind says incomplete.
    let inner = t.declare_record(RecordKind::Struct, Some("inner"));
    let outer = t.declare_record(RecordKind::Union, Some("outer"));
    let e = t
        .complete_record(outer, vec![member("i", inner, None)], RecordAttrs::default())
        .unwrap_err();
    assert_eq!(
        layout_kind(&e),
        (LayoutErrorKind::Incomplete, "union outer".to_string()),
        "{e}"
    );
    // Completing twice.
    let ok = t.declare_record(RecordKind::Struct, Some("ok"));
    t.complete_record(ok, vec![member("a", int, None)], RecordAttrs::default())
        .unwrap();
    let e = t.complete_record(ok, vec![], RecordAttrs::default()).unwrap_err();
    assert_eq!(layout_kind(&e).0, LayoutErrorKind::Definition, "{e}");
}

#[test]
fn size_errors_say_incomplete_or_too_large() {
    let mut t = Types::new(Target::Aarch64Linux);
    let fwd = t.declare_record(RecordKind::Struct, Some("fwd"));
    let e = t.size_align(fwd).unwrap_err();
    assert_eq!(layout_kind(&e), (LayoutErrorKind::Incomplete, "struct fwd".to_string()));
    let void = t.prim(Prim::Void);
    assert_eq!(
        layout_kind(&t.size_align(void).unwrap_err()).0,
        LayoutErrorKind::Incomplete
    );
    let long = t.prim(Prim::Long);
    let huge = t.array(long, Some(u64::MAX / 4));
    let (kind, ty) = layout_kind(&t.size_align(huge).unwrap_err());
    assert_eq!(kind, LayoutErrorKind::TooLarge);
    assert!(ty.starts_with("long ["), "{ty}");
    assert_eq!(
        layout_kind(&t.vector(Prim::Float, 12).unwrap_err()).0,
        LayoutErrorKind::Vector
    );
    assert_eq!(
        layout_kind(&t.with_align(long, 3).unwrap_err()).0,
        LayoutErrorKind::Alignment
    );
}

#[test]
fn an_id_from_another_table_is_a_foreign_type() {
    let mut a = Types::new(Target::X86_64SysV);
    let b = Types::new(Target::X86_64SysV);
    let mut id = a.prim(Prim::Int);
    for _ in 0..5000 {
        id = a.pointer(id);
    }
    let e = b.check(id).unwrap_err();
    assert_eq!(layout_kind(&e).0, LayoutErrorKind::ForeignType, "{e}");
}
