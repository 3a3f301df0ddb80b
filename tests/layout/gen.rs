//! Seeded generator of random struct/union types for the layout oracle.
//!
//! A generated case is a list of top-level C definitions (enums, typedefs
//! with `aligned(N)`, helper records, each possibly under `#pragma pack(N)`)
//! ending with the record under test. Every case renders both to C text and
//! to builder calls on [`Types`], so the oracle does not depend on the C
//! parser. Each type has its own PRNG stream (`splitmix64` of seed + index),
//! so one failing type can be regenerated from its seed and index alone.
//!
//! Constructs not generated because gcc rejects them (so they are not valid
//! GNU C): a flexible array member in a union, in a struct with no named
//! member before it, or in a struct used anywhere but as the last member of
//! a struct; arrays of a type whose alignment exceeds its size (typedef
//! `aligned(N)` with N > size: "alignment of array elements is greater than
//! element size").

use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The layout generator's PRNG (splitmix64; recorded seeds name the same types).
pub use abicall_conformance::rng::SplitMix64 as Rng;

/// The PRNG stream of type `index` under `seed`.
pub fn type_rng(seed: u64, index: u64) -> Rng {
    let mut r = Rng::new(seed ^ index.wrapping_mul(0xd1b5_4a32_d192_ed03));
    r.next_u64();
    r
}

/// Every scalar type (the core's list; order fixed so recorded seeds keep their types).
const ALL_PRIMS: [Prim; 20] = Prim::SCALARS;

/// The integer types: the first 14 of [`Prim::SCALARS`].
const INT_PRIMS: [Prim; 14] = {
    let mut out = [Prim::Bool; 14];
    let mut i = 0;
    while i < 14 {
        out[i] = Prim::SCALARS[i];
        i += 1;
    }
    out
};

#[test]
fn int_prims_are_the_integer_types() {
    assert!(INT_PRIMS.iter().all(|p| p.is_integer()));
    assert_eq!(Prim::SCALARS.iter().filter(|p| p.is_integer()).count(), 14);
}

const ALIGNS: [u64; 7] = [1, 2, 4, 8, 16, 32, 64];
const PACKS: [u64; 5] = [1, 2, 4, 8, 16];
const MAX_DEPTH: u32 = 3;

/// A member type.
#[derive(Clone, Debug)]
pub enum GTy {
    /// A scalar.
    Prim(Prim),
    /// `void *`.
    Ptr,
    /// An enum defined earlier (index into the case's definitions).
    Enum(usize),
    /// A typedef defined earlier.
    Typedef(usize),
    /// A tagged record defined earlier.
    Record(usize),
    /// A record defined in place (`struct { ... } m;` or an anonymous member).
    Inline(Box<RecDef>),
    /// `T m[d0][d1]...`.
    Array(Box<GTy>, Vec<u64>),
    /// `T m[]` (last member of a struct only).
    Flex(Box<GTy>),
    /// `T __attribute__((vector_size(N)))`: element and size in bytes.
    Vector(Prim, u64),
}

/// A member declaration.
#[derive(Clone, Debug)]
pub struct Member {
    /// `None`: anonymous record member or unnamed bitfield.
    pub name: Option<String>,
    /// Type.
    pub ty: GTy,
    /// Bitfield width.
    pub bits: Option<u32>,
    /// `__attribute__((packed))` on the member.
    pub packed: bool,
    /// `__attribute__((aligned(N)))` on the member.
    pub aligned: Option<u64>,
}

/// A struct or union body with its attributes.
#[derive(Clone, Debug)]
pub struct RecDef {
    /// Struct or union.
    pub kind: RecordKind,
    /// Members.
    pub members: Vec<Member>,
    /// `__attribute__((packed))`.
    pub packed: bool,
    /// `__attribute__((aligned(N)))`.
    pub aligned: Option<u64>,
}

/// A top-level definition.
#[derive(Clone, Debug)]
pub enum Def {
    /// `enum [packed] name { ... };`
    Enum {
        name: String,
        values: Vec<i128>,
        packed: bool,
    },
    /// `typedef T __attribute__((aligned(N))) name;`
    Typedef { name: String, ty: GTy, align: u64 },
    /// `[#pragma pack(N)] struct tag { ... };`
    Record {
        tag: String,
        def: RecDef,
        pragma: Option<u64>,
    },
}

/// One generated type: its definitions, the last one being the type under test.
#[derive(Clone, Debug)]
pub struct GenCase {
    /// Definitions in order.
    pub defs: Vec<Def>,
}

/// Counts of generated constructs (to prove the generator covers them).
pub type Coverage = BTreeMap<String, u64>;

struct Gen<'a> {
    rng: Rng,
    prefix: String,
    defs: Vec<Def>,
    names: usize,
    cov: &'a mut Coverage,
}

fn prim_bits(p: Prim) -> u32 {
    match p {
        Prim::Bool | Prim::Char | Prim::SChar | Prim::UChar => 8,
        Prim::Short | Prim::UShort => 16,
        Prim::Int | Prim::UInt => 32,
        Prim::Long | Prim::ULong | Prim::LongLong | Prim::ULongLong => 64,
        _ => 128,
    }
}

/// Integer width of an enum with these values under gcc's rules (bits).
fn enum_bits(values: &[i128], packed: bool) -> u32 {
    let min = values.iter().copied().min().unwrap_or(0);
    let max = values.iter().copied().max().unwrap_or(0);
    let fits = |bits: u32| {
        if min < 0 {
            min >= -(1i128 << (bits - 1)) && max < (1i128 << (bits - 1))
        } else {
            max < (1i128 << bits)
        }
    };
    let cands: &[u32] = if packed { &[8, 16, 32, 64] } else { &[32, 64] };
    cands.iter().copied().find(|b| fits(*b)).unwrap_or(64)
}

impl Gen<'_> {
    fn hit(&mut self, what: &str) {
        *self.cov.entry(what.to_string()).or_insert(0) += 1;
    }

    fn name(&mut self) -> String {
        self.names += 1;
        format!("m{}", self.names)
    }

    fn def_name(&mut self, kind: &str) -> String {
        self.names += 1;
        format!("{}{kind}{}", self.prefix, self.names)
    }

    /// Whether a type ends in a flexible array member (directly or through
    /// its last member).
    fn ty_has_flex(&self, ty: &GTy) -> bool {
        match ty {
            GTy::Flex(_) => true,
            GTy::Record(i) => match &self.defs[*i] {
                Def::Record { def, .. } => def_has_flex(self, def),
                _ => false,
            },
            GTy::Inline(d) => def_has_flex(self, d),
            _ => false,
        }
    }

    fn new_enum(&mut self) -> usize {
        let values: Vec<i128> = match self.rng.below(8) {
            0 => vec![0, 1, 2],
            1 => vec![-1, 3],
            2 => vec![0, 0x1_0000_0000],
            3 => vec![-0x1_0000_0000, 1],
            4 => vec![0, 200],
            5 => vec![-100, 100],
            6 => vec![0, 70000],
            _ => vec![5],
        };
        let packed = self.rng.chance(30);
        self.hit(if packed { "enum packed" } else { "enum" });
        if values.iter().any(|v| *v < 0) {
            self.hit("enum negative");
        }
        if values.iter().any(|v| *v > u32::MAX as i128 || *v < i32::MIN as i128) {
            self.hit("enum 64-bit");
        }
        let name = self.def_name("e");
        self.defs.push(Def::Enum { name, values, packed });
        self.defs.len() - 1
    }

    fn existing(&mut self, want: fn(&Def) -> bool) -> Option<usize> {
        let idx: Vec<usize> = (0..self.defs.len()).filter(|&i| want(&self.defs[i])).collect();
        if idx.is_empty() {
            None
        } else {
            Some(self.rng.pick(&idx))
        }
    }

    fn enum_ty(&mut self) -> usize {
        match self.existing(|d| matches!(d, Def::Enum { .. })) {
            Some(i) if self.rng.chance(50) => i,
            _ => self.new_enum(),
        }
    }

    /// An integer-typed typedef with `aligned(N)` (bitfield base).
    fn new_int_typedef(&mut self) -> usize {
        let p = self.rng.pick(&INT_PRIMS);
        let align = self.rng.pick(&ALIGNS);
        self.hit("typedef aligned (int)");
        let name = self.def_name("t");
        self.defs.push(Def::Typedef {
            name,
            ty: GTy::Prim(p),
            align,
        });
        self.defs.len() - 1
    }

    fn new_typedef(&mut self, depth: u32) -> usize {
        let ty = match self.rng.below(4) {
            0 if depth < MAX_DEPTH => {
                let r = self.new_record(depth + 1, false);
                self.hit("typedef aligned (record)");
                GTy::Record(r)
            }
            1 => GTy::Enum(self.enum_ty()),
            2 if self.rng.chance(50) => {
                self.hit("typedef aligned (array)");
                let elem = GTy::Prim(self.rng.pick(&ALL_PRIMS));
                GTy::Array(Box::new(elem), vec![1 + self.rng.below(3)])
            }
            _ => GTy::Prim(self.rng.pick(&ALL_PRIMS)),
        };
        let align = self.rng.pick(&ALIGNS);
        self.hit("typedef aligned");
        let name = self.def_name("t");
        self.defs.push(Def::Typedef { name, ty, align });
        self.defs.len() - 1
    }

    fn new_record(&mut self, depth: u32, allow_flex: bool) -> usize {
        let def = self.record_body(depth, allow_flex, None);
        let pragma = if self.rng.chance(15) {
            let n = self.rng.pick(&PACKS);
            self.hit(&format!("#pragma pack({n})"));
            Some(n)
        } else {
            None
        };
        let tag = self.def_name("s");
        self.defs.push(Def::Record { tag, def, pragma });
        self.defs.len() - 1
    }

    fn record_body(&mut self, depth: u32, allow_flex: bool, _pragma: Option<u64>) -> RecDef {
        let kind = if self.rng.chance(25) {
            self.hit("union");
            RecordKind::Union
        } else {
            RecordKind::Struct
        };
        let n = match self.rng.below(10) {
            0 => 0,
            1..=3 => 1 + self.rng.below(3),
            _ => 2 + self.rng.below(if depth == 0 { 8 } else { 4 }),
        } as usize;
        if n == 0 {
            self.hit(if kind == RecordKind::Union {
                "empty union"
            } else {
                "empty struct"
            });
        }
        // Some records are mostly bitfields, so long runs of them get tested.
        let bitfield_percent = if self.rng.chance(30) {
            self.hit("bitfield-heavy record");
            75
        } else {
            28
        };
        let mut members = Vec::with_capacity(n);
        for i in 0..n {
            let last = i + 1 == n;
            let has_named = members.iter().any(|m: &Member| m.name.is_some());
            let slot_flex = allow_flex && last && kind == RecordKind::Struct;
            members.push(self.member(depth, slot_flex, has_named, kind, bitfield_percent));
        }
        let packed = self.rng.chance(15);
        if packed {
            self.hit("packed record");
        }
        let aligned = if self.rng.chance(10) {
            self.hit("aligned record");
            Some(self.rng.pick(&ALIGNS))
        } else {
            None
        };
        RecDef {
            kind,
            members,
            packed,
            aligned,
        }
    }

    /// A member; `slot_flex`: it may end in a flexible array (last member of a struct).
    fn member(
        &mut self,
        depth: u32,
        slot_flex: bool,
        has_named: bool,
        kind: RecordKind,
        bitfield_percent: u64,
    ) -> Member {
        let mut m = Member {
            name: None,
            ty: GTy::Ptr,
            bits: None,
            packed: false,
            aligned: None,
        };
        let roll = self.rng.below(100);
        let roll = if roll < bitfield_percent {
            0
        } else {
            28 + (roll - bitfield_percent) * 72 / (100 - bitfield_percent)
        };
        if roll < 28 {
            // Bitfield.
            let (ty, bits) = match self.rng.below(10) {
                0 => {
                    self.hit("bitfield enum");
                    let e = self.enum_ty();
                    let b = match &self.defs[e] {
                        Def::Enum { values, packed, .. } => enum_bits(values, *packed),
                        _ => unreachable!(),
                    };
                    (GTy::Enum(e), b)
                }
                1 => {
                    self.hit("bitfield typedef aligned");
                    let t = self.new_int_typedef();
                    let p = match &self.defs[t] {
                        Def::Typedef { ty: GTy::Prim(p), .. } => *p,
                        _ => unreachable!(),
                    };
                    (GTy::Typedef(t), prim_bits(p))
                }
                _ => {
                    let p = self.rng.pick(&INT_PRIMS);
                    self.hit(&format!("bitfield {}", p.c_name()));
                    (GTy::Prim(p), prim_bits(p))
                }
            };
            let is_bool = matches!(ty, GTy::Prim(Prim::Bool))
                || matches!(&ty, GTy::Typedef(t) if matches!(&self.defs[*t], Def::Typedef { ty: GTy::Prim(Prim::Bool), .. }));
            let maxw = if is_bool { 1 } else { bits };
            let w = match self.rng.below(8) {
                0 => 0,
                1 => 1,
                2 => maxw,
                3 => maxw.saturating_sub(1),
                _ => self.rng.below(maxw as u64 + 1) as u32,
            };
            if w == 0 {
                self.hit("bitfield :0");
            } else if bits >= 64 && w > 32 {
                self.hit("bitfield wider than 32");
            }
            m.ty = ty;
            m.bits = Some(w);
            if w > 0 && !self.rng.chance(15) {
                m.name = Some(self.name());
            } else if w > 0 {
                self.hit("bitfield unnamed");
            }
        } else if roll < 58 {
            m.ty = if self.rng.chance(10) {
                self.hit("vector");
                self.vector()
            } else {
                GTy::Prim(self.rng.pick(&ALL_PRIMS))
            };
            m.name = Some(self.name());
        } else if roll < 63 {
            m.ty = GTy::Ptr;
            m.name = Some(self.name());
        } else if roll < 68 {
            m.ty = GTy::Enum(self.enum_ty());
            m.name = Some(self.name());
        } else if roll < 72 {
            m.ty = GTy::Typedef(self.new_typedef(depth));
            m.name = Some(self.name());
        } else if roll < 82 {
            // Array (zero-length included).
            let elem = self.array_elem(depth);
            // (Not `[0]` of a vector spelt in place: gcc rebuilds the
            // declarator around the vector and makes it a flexible array.)
            let dims: Vec<u64> = if self.rng.chance(10) && !matches!(elem, GTy::Vector(..)) {
                self.hit("array [0]");
                vec![0]
            } else if self.rng.chance(30) {
                self.hit("array multi-dim");
                vec![1 + self.rng.below(3), 1 + self.rng.below(3)]
            } else {
                vec![1 + self.rng.below(4)]
            };
            m.ty = GTy::Array(Box::new(elem), dims);
            m.name = Some(self.name());
        } else if roll < 95 && depth < MAX_DEPTH {
            // Nested record: tagged helper, inline named, or anonymous.
            match self.rng.below(3) {
                0 => {
                    let r = match self.existing(|d| matches!(d, Def::Record { .. })) {
                        Some(r) if self.rng.chance(30) => r,
                        _ => self.new_record(depth + 1, slot_flex),
                    };
                    if self.ty_has_flex(&GTy::Record(r)) && !slot_flex {
                        m.ty = GTy::Prim(Prim::Int);
                    } else {
                        self.hit("nested record");
                        m.ty = GTy::Record(r);
                    }
                    m.name = Some(self.name());
                }
                1 => {
                    self.hit("nested inline record");
                    m.ty = GTy::Inline(Box::new(self.record_body(depth + 1, slot_flex, None)));
                    m.name = Some(self.name());
                }
                _ => {
                    self.hit("anonymous member");
                    m.ty = GTy::Inline(Box::new(self.record_body(depth + 1, slot_flex, None)));
                    return m;
                }
            }
        } else if slot_flex && has_named && kind == RecordKind::Struct {
            self.hit("flexible array");
            let elem = self.array_elem(depth);
            m.ty = GTy::Flex(Box::new(elem));
            m.name = Some(self.name());
            return m;
        } else {
            m.ty = GTy::Prim(self.rng.pick(&ALL_PRIMS));
            m.name = Some(self.name());
        }
        if self.rng.chance(8) {
            self.hit("packed member");
            m.packed = true;
        }
        if self.rng.chance(8) {
            self.hit("aligned member");
            m.aligned = Some(self.rng.pick(&ALIGNS));
        }
        m
    }

    /// A GCC vector type of 1 to 8 elements, at most 64 bytes.
    fn vector(&mut self) -> GTy {
        const ELEMS: [Prim; 13] = [
            Prim::Char,
            Prim::SChar,
            Prim::UChar,
            Prim::Short,
            Prim::UShort,
            Prim::Int,
            Prim::UInt,
            Prim::Long,
            Prim::ULongLong,
            Prim::Int128,
            Prim::Float,
            Prim::Double,
            Prim::LongDouble,
        ];
        let p = self.rng.pick(&ELEMS);
        let es = match p {
            Prim::Float => 4,
            Prim::Double => 8,
            Prim::LongDouble => 16,
            _ => prim_bits(p) as u64 / 8,
        };
        let n = 1u64 << self.rng.below(4);
        GTy::Vector(p, (es * n).min(64))
    }

    fn array_elem(&mut self, depth: u32) -> GTy {
        if self.rng.chance(5) {
            self.hit("array of vectors");
            return self.vector();
        }
        match self.rng.below(10) {
            0 | 1 if depth < MAX_DEPTH => {
                self.hit("array of records");
                let r = self.new_record(depth + 1, false);
                GTy::Record(r)
            }
            2 => GTy::Ptr,
            3 => GTy::Enum(self.enum_ty()),
            4 => {
                // Typedef aligned(N) with N <= size only (gcc rejects the rest).
                let p = self.rng.pick(&ALL_PRIMS);
                let size = prim_bits(p) as u64 / 8;
                let size = match p {
                    Prim::Float => 4,
                    Prim::Double => 8,
                    Prim::FloatComplex => 8,
                    Prim::DoubleComplex | Prim::LongDouble => 16,
                    Prim::LongDoubleComplex => 32,
                    _ => size,
                };
                let aligns: Vec<u64> = ALIGNS.iter().copied().filter(|a| *a <= size).collect();
                let align = self.rng.pick(&aligns);
                self.hit("array of typedef aligned");
                let name = self.def_name("t");
                self.defs.push(Def::Typedef {
                    name,
                    ty: GTy::Prim(p),
                    align,
                });
                GTy::Typedef(self.defs.len() - 1)
            }
            _ => GTy::Prim(self.rng.pick(&ALL_PRIMS)),
        }
    }
}

fn def_has_flex(g: &Gen<'_>, d: &RecDef) -> bool {
    d.members.last().is_some_and(|m| g.ty_has_flex(&m.ty))
}

/// Generates type `index` of the sweep with `seed`; C names are prefixed with `prefix`.
pub fn generate(seed: u64, index: u64, prefix: &str, cov: &mut Coverage) -> GenCase {
    let mut g = Gen {
        rng: type_rng(seed, index),
        prefix: prefix.to_string(),
        defs: Vec::new(),
        names: 0,
        cov,
    };
    g.new_record(0, true);
    GenCase { defs: g.defs }
}

impl GenCase {
    /// The C spelling of the type under test.
    pub fn c_type(&self) -> String {
        match self.defs.last() {
            Some(Def::Record { tag, def, .. }) => format!("{} {tag}", def.kind.keyword()),
            _ => unreachable!("a case ends with its record"),
        }
    }

    /// The C text of all definitions.
    pub fn to_c(&self) -> String {
        let mut s = String::new();
        for d in &self.defs {
            match d {
                Def::Enum { name, values, packed } => {
                    let _ = write!(
                        s,
                        "enum {}{name} {{",
                        if *packed { "__attribute__((packed)) " } else { "" }
                    );
                    for (i, v) in values.iter().enumerate() {
                        let _ = write!(s, " {name}_{i} = {v},");
                    }
                    s.push_str(" };\n");
                }
                Def::Typedef {
                    name,
                    ty: GTy::Array(elem, dims),
                    align,
                } => {
                    // After the declarator, the attribute applies to the array type
                    // (before it, to the element type).
                    let d: String = dims.iter().map(|d| format!("[{d}]")).collect();
                    let _ = writeln!(
                        s,
                        "typedef {} {name}{d} __attribute__((aligned({align})));",
                        self.ty_c(elem)
                    );
                }
                Def::Typedef { name, ty, align } => {
                    let _ = writeln!(s, "typedef {} __attribute__((aligned({align}))) {name};", self.ty_c(ty));
                }
                Def::Record { tag, def, pragma } => {
                    if let Some(n) = pragma {
                        let _ = writeln!(s, "#pragma pack(push, {n})");
                    }
                    let _ = writeln!(s, "{} {tag} {};", self.rec_head(def), self.rec_body(def, 0));
                    if pragma.is_some() {
                        s.push_str("#pragma pack(pop)\n");
                    }
                }
            }
        }
        s
    }

    fn rec_head(&self, d: &RecDef) -> String {
        let mut attrs = Vec::new();
        if d.packed {
            attrs.push("packed".to_string());
        }
        if let Some(a) = d.aligned {
            attrs.push(format!("aligned({a})"));
        }
        if attrs.is_empty() {
            d.kind.keyword().to_string()
        } else {
            format!("{} __attribute__(({}))", d.kind.keyword(), attrs.join(", "))
        }
    }

    fn rec_body(&self, d: &RecDef, indent: usize) -> String {
        let pad = "  ".repeat(indent + 1);
        let mut s = String::from("{\n");
        for m in &d.members {
            let (base, suffix) = self.declarator(&m.ty, indent + 1);
            s.push_str(&pad);
            s.push_str(&base);
            if let Some(n) = &m.name {
                s.push(' ');
                s.push_str(n);
            }
            s.push_str(&suffix);
            if let Some(w) = m.bits {
                let _ = write!(s, " : {w}");
            }
            let mut attrs = Vec::new();
            if m.packed {
                attrs.push("packed".to_string());
            }
            if let Some(a) = m.aligned {
                attrs.push(format!("aligned({a})"));
            }
            if !attrs.is_empty() {
                let _ = write!(s, " __attribute__(({}))", attrs.join(", "));
            }
            s.push_str(";\n");
        }
        s.push_str(&"  ".repeat(indent));
        s.push('}');
        s
    }

    /// `(base, suffix)` so that `base name suffix` declares a member.
    fn declarator(&self, ty: &GTy, indent: usize) -> (String, String) {
        match ty {
            GTy::Array(elem, dims) => {
                let (b, s) = self.declarator(elem, indent);
                let d: String = dims.iter().map(|d| format!("[{d}]")).collect();
                (b, d + &s)
            }
            GTy::Flex(elem) => {
                let (b, s) = self.declarator(elem, indent);
                (b, format!("[]{s}"))
            }
            GTy::Inline(d) => (
                format!("{} {}", self.rec_head(d), self.rec_body(d, indent)),
                String::new(),
            ),
            GTy::Ptr => ("void *".to_string(), String::new()),
            // `vector_size` after the declarator, before the member's own
            // attributes: gcc applies those after the declarator first, and a
            // `packed` met before the vector exists is ignored for 1-byte
            // elements (the parser models that; `tests/layout/vector.rs`).
            GTy::Vector(p, n) => (p.c_name().to_string(), format!(" __attribute__((vector_size({n})))")),
            other => (self.ty_c(other), String::new()),
        }
    }

    fn ty_c(&self, ty: &GTy) -> String {
        match ty {
            GTy::Prim(p) => p.c_name().to_string(),
            GTy::Vector(p, n) => format!("{} __attribute__((vector_size({n})))", p.c_name()),
            GTy::Ptr => "void *".to_string(),
            GTy::Enum(i) => match &self.defs[*i] {
                Def::Enum { name, .. } => format!("enum {name}"),
                _ => unreachable!(),
            },
            GTy::Typedef(i) => match &self.defs[*i] {
                Def::Typedef { name, .. } => name.clone(),
                _ => unreachable!(),
            },
            GTy::Record(i) => match &self.defs[*i] {
                Def::Record { tag, def, .. } => format!("{} {tag}", def.kind.keyword()),
                _ => unreachable!(),
            },
            _ => unreachable!("only scalars, enums, typedefs and tagged records are named"),
        }
    }

    /// Builds every definition with the builder API; returns the type under test.
    pub fn build(&self, types: &mut Types) -> abicall::Result<TypeId> {
        let mut ids: Vec<TypeId> = Vec::with_capacity(self.defs.len());
        for d in &self.defs {
            let id = match d {
                Def::Enum { name, values, packed } => {
                    let id = types.declare_enum(Some(name));
                    let vals = values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("{name}_{i}"), *v))
                        .collect();
                    types.complete_enum(id, vals, None, *packed)?;
                    id
                }
                Def::Typedef { ty, align, .. } => {
                    let t = build_ty(types, &ids, ty, None)?;
                    types.with_align(t, *align)?
                }
                Def::Record { tag, def, pragma } => build_record(types, &ids, def, Some(tag), *pragma)?,
            };
            ids.push(id);
        }
        Ok(*ids.last().expect("a case has definitions"))
    }
}

fn build_ty(types: &mut Types, ids: &[TypeId], ty: &GTy, pragma: Option<u64>) -> abicall::Result<TypeId> {
    Ok(match ty {
        GTy::Prim(p) => types.prim(*p),
        GTy::Vector(p, n) => types.vector(*p, *n)?,
        GTy::Ptr => {
            let v = types.prim(Prim::Void);
            types.pointer(v)
        }
        GTy::Enum(i) | GTy::Typedef(i) | GTy::Record(i) => ids[*i],
        // An in-place record is laid out under the #pragma pack in force.
        GTy::Inline(d) => build_record(types, ids, d, None, pragma)?,
        GTy::Array(elem, dims) => {
            let mut t = build_ty(types, ids, elem, pragma)?;
            for d in dims.iter().rev() {
                t = types.array(t, Some(*d));
            }
            t
        }
        GTy::Flex(elem) => {
            let t = build_ty(types, ids, elem, pragma)?;
            types.array(t, None)
        }
    })
}

fn build_record(
    types: &mut Types,
    ids: &[TypeId],
    d: &RecDef,
    tag: Option<&str>,
    pragma: Option<u64>,
) -> abicall::Result<TypeId> {
    let mut fields = Vec::with_capacity(d.members.len());
    for m in &d.members {
        fields.push(FieldDecl {
            name: m.name.clone(),
            ty: build_ty(types, ids, &m.ty, pragma)?,
            bit_width: m.bits,
            packed: m.packed,
            align_attr: m.aligned,
        });
    }
    types.define_record(
        d.kind,
        tag,
        fields,
        RecordAttrs {
            packed: d.packed,
            align_attr: d.aligned,
            pragma_pack: pragma,
        },
    )
}
