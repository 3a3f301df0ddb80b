//! Known-answer layout tests for the rows of `docs/abi-cases.md` that are about
//! layout (9, 17, 18, 19, 20, 26, 27), on x86_64 and aarch64.
//!
//! Every type is first checked against the compiler with the layout probe
//! (gcc compiled and run on x86_64; `aarch64-linux-gnu-gcc` static asserts +
//! qemu on aarch64), so the oracle is the compiler. Only then are the facts
//! the rows state asserted on our layout; since the probe has just shown that
//! our layout equals the compiler's, a failing fact means the row is wrong.
//! The row-20 values (which the row does not state) are gcc's, snapshotted.

use crate::support;

use abicall::types::{BitField, FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use abicall::Target;
use support::layout_probe::{check_cases, report, Case};

/// One row: C text, our type, and the facts it states.
struct Row {
    row: u32,
    case: Case,
}

fn rec(t: &mut Types, tag: &str, kind: RecordKind, fields: Vec<FieldDecl>, attrs: RecordAttrs) -> TypeId {
    t.define_record(kind, Some(tag), fields, attrs)
        .unwrap_or_else(|e| panic!("building `{tag}`: {e}"))
}

fn rows(t: &mut Types) -> Vec<Row> {
    let char_ = t.prim(Prim::Char);
    let int = t.prim(Prim::Int);
    let uint = t.prim(Prim::UInt);
    let long = t.prim(Prim::Long);
    let double = t.prim(Prim::Double);
    let ldouble = t.prim(Prim::LongDouble);
    let flex_d = t.array(double, None);
    let packed = RecordAttrs {
        packed: true,
        ..RecordAttrs::default()
    };
    let plain = RecordAttrs::default();
    let mut out = Vec::new();
    let mut add = |row: u32, c_defs: &str, c_type: &str, ty: TypeId| {
        out.push(Row {
            row,
            case: Case {
                label: format!("docs/abi-cases.md row {row}"),
                c_defs: c_defs.to_string(),
                c_type: c_type.to_string(),
                ty,
            },
        })
    };

    // Rows 9 and 26: the same packed struct on both targets.
    let r9 = rec(
        t,
        "r9",
        RecordKind::Struct,
        vec![FieldDecl::new("c", char_), FieldDecl::new("d", double)],
        packed,
    );
    let r9_c = "struct __attribute__((packed)) r9 { char c; double d; };";
    add(9, r9_c, "struct r9", r9);
    add(26, "/* the type of row 9 */", "struct r9", r9);

    let r17 = rec(
        t,
        "r17",
        RecordKind::Struct,
        vec![
            FieldDecl::new("a", char_),
            FieldDecl::bitfield(None, int, 0),
            FieldDecl::new("b", char_),
        ],
        plain,
    );
    add(17, "struct r17 { char a; int :0; char b; };", "struct r17", r17);

    let r18 = rec(
        t,
        "r18",
        RecordKind::Struct,
        vec![FieldDecl::new("n", int), FieldDecl::new("d", flex_d)],
        plain,
    );
    add(18, "struct r18 { int n; double d[]; };", "struct r18", r18);

    let r19 = rec(t, "r19", RecordKind::Struct, vec![], plain);
    add(19, "struct r19 { };", "struct r19", r19);

    let r20 = rec(
        t,
        "r20",
        RecordKind::Struct,
        vec![
            FieldDecl::bitfield(Some("a"), int, 3),
            FieldDecl::bitfield(Some("b"), uint, 29),
            FieldDecl::bitfield(Some("c"), long, 40),
        ],
        plain,
    );
    add(
        20,
        "struct r20 { int a:3; unsigned b:29; long c:40; };",
        "struct r20",
        r20,
    );

    add(27, "", "long double", ldouble);
    let r27 = rec(t, "r27", RecordKind::Struct, vec![FieldDecl::new("x", ldouble)], plain);
    add(27, "struct r27 { long double x; };", "struct r27", r27);
    out
}

fn size_align(t: &Types, ty: TypeId) -> (u64, u64) {
    t.size_align(ty).unwrap()
}

fn off(t: &Types, ty: TypeId, path: &str) -> u64 {
    t.offset_of(ty, path).unwrap().offset
}

fn bits(t: &Types, ty: TypeId, path: &str) -> (u64, BitField) {
    let p = t.offset_of(ty, path).unwrap();
    (p.offset, p.bit.expect("a bitfield"))
}

/// Checks every row against the compiler, then the facts the rows state.
fn known_answers(target: Target) {
    let mut t = Types::new(target);
    let rows = rows(&mut t);
    let cases: Vec<Case> = rows.iter().map(|r| r.case.clone()).collect();
    let mismatches = check_cases(&t, &cases, &format!("known-{target}"));
    assert!(
        mismatches.is_empty(),
        "our layout disagrees with the compiler:{}",
        report(target, &cases, &mismatches, 20)
    );

    // The compiler agrees with our layout, so these facts are the compiler's.
    let wrong = |row: u32, what: &str| -> String {
        format!("{target}: docs/abi-cases.md row {row} says {what}, but the compiler (which our layout matches) says otherwise: fix the row")
    };
    let aarch64 = target == Target::Aarch64Linux;
    for r in &rows {
        let ty = r.case.ty;
        match (r.row, aarch64) {
            (9, false) | (26, true) => {
                assert_eq!(size_align(&t, ty), (9, 1), "{}", wrong(r.row, "size 9, align 1"));
                assert_eq!(off(&t, ty, "d"), 1, "{}", wrong(r.row, "`d` unaligned at 1"));
            }
            (17, false) => {
                assert_eq!(size_align(&t, ty), (5, 1), "{}", wrong(17, "x86_64 size 5, align 1"));
                assert_eq!(off(&t, ty, "b"), 4, "{}", wrong(17, "`b` at offset 4"));
            }
            (17, true) => {
                assert_eq!(size_align(&t, ty), (8, 4), "{}", wrong(17, "aarch64 size 8, align 4"));
                assert_eq!(off(&t, ty, "b"), 4, "{}", wrong(17, "`b` at offset 4"));
            }
            (18, _) => {
                assert_eq!(size_align(&t, ty).0, 8, "{}", wrong(18, "size 8"));
                assert_eq!(off(&t, ty, "d"), 8, "{}", wrong(18, "`d` at 8"));
            }
            (19, _) => assert_eq!(size_align(&t, ty).0, 0, "{}", wrong(19, "size 0")),
            (20, _) => {
                // Snapshot of what gcc gave (the row states no numbers).
                assert_eq!(size_align(&t, ty), (16, 8));
                let bf = |o, b, w| {
                    (
                        o,
                        BitField {
                            bit_offset: b,
                            bit_width: w,
                        },
                    )
                };
                assert_eq!(bits(&t, ty, "a"), bf(0, 0, 3));
                assert_eq!(bits(&t, ty, "b"), bf(0, 3, 29));
                assert_eq!(
                    bits(&t, ty, "c"),
                    bf(8, 0, 40),
                    "`c` does not fit the first long: next unit"
                );
            }
            (27, _) => {
                // x86_64: x87 extended in 16 bytes; aarch64: binary128. Both 16/16.
                assert_eq!(size_align(&t, ty), (16, 16), "{}", wrong(27, "long double is 16 bytes"));
            }
            _ => {}
        }
    }
}

#[test]
fn layout_rows_x86_64_match_gcc() {
    known_answers(Target::X86_64SysV);
}

#[test]
fn layout_rows_aarch64_match_aarch64_gcc() {
    known_answers(Target::Aarch64Linux);
}

/// Apple arm64 cannot be checked here (no Apple compiler); the probe says so
/// instead of silently passing.
#[test]
#[should_panic(expected = "no Apple arm64 compiler")]
fn apple_arm64_is_not_checked_against_linux_gcc() {
    let mut t = Types::new(Target::Aarch64Apple);
    let ld = t.prim(Prim::LongDouble);
    let case = Case {
        label: "long double".into(),
        c_defs: String::new(),
        c_type: "long double".into(),
        ty: ld,
    };
    check_cases(&t, &[case], "apple");
}

/// The probe is not vacuous: a type whose C text differs from our layout is
/// reported (size, offset and bitfield bytes), on both targets — on aarch64
/// through the failed `_Static_assert`s.
#[test]
fn probe_reports_disagreements() {
    for target in [Target::X86_64SysV, Target::Aarch64Linux] {
        let mut t = Types::new(target);
        let char_ = t.prim(Prim::Char);
        let uint = t.prim(Prim::UInt);
        let ours = rec(
            &mut t,
            "wrong",
            RecordKind::Struct,
            vec![
                FieldDecl::new("a", char_),
                FieldDecl::new("b", char_),
                FieldDecl::bitfield(Some("f"), uint, 4),
            ],
            RecordAttrs::default(),
        );
        let case = Case {
            label: "deliberately different".into(),
            c_defs: "struct wrong { char a; int b; unsigned f : 4; };".into(),
            c_type: "struct wrong".into(),
            ty: ours,
        };
        let m = check_cases(&t, &[case], &format!("wrong-{target}"));
        let what: Vec<&str> = m.iter().map(|m| m.what.as_str()).collect();
        assert!(what.contains(&"sizeof(struct wrong)"), "{target}: {what:?}");
        assert!(what.contains(&"offsetof(struct wrong, b)"), "{target}: {what:?}");
        assert!(what.iter().any(|w| w.contains(".f = -1")), "{target}: {what:?}");
        let size = m.iter().find(|m| m.what == "sizeof(struct wrong)").unwrap();
        assert_eq!((size.ours.as_str(), size.compiler.as_str()), ("4", "12"), "{target}");
    }
}
