//! Random function signatures over the type space abicall supports: every
//! scalar, pointers, structs and unions nested to depth 3 with bitfields,
//! packed / aligned members, `#pragma pack`, arrays, empty records and
//! HFA-like shapes; 0–20 arguments, optional variadic tails, any return type.

use super::rng::Rng;
use abicall::abi::{self, CallPlan};
use abicall::error::Result;
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use abicall::Target;

/// One generated signature: `ret f(args[..fixed], ...)` when variadic.
#[derive(Clone, Debug)]
pub struct Signature {
    /// Return type (may be `void`).
    pub ret: TypeId,
    /// Argument types, fixed ones first, then the variadic tail.
    pub args: Vec<TypeId>,
    /// Number of named parameters when the function is variadic.
    pub fixed: Option<usize>,
    /// Seed of the values passed for this signature.
    pub value_seed: u64,
    /// For a fixed case: the abi-cases row it checks.
    pub label: Option<&'static str>,
}

impl Signature {
    /// The call plan of this signature on `types`' target.
    pub fn plan(&self, types: &Types) -> Result<CallPlan> {
        match self.fixed {
            Some(n) => abi::plan_call(types, self.ret, &self.args, n, true),
            None => abi::plan_call(types, self.ret, &self.args, self.args.len(), false),
        }
    }

    /// The function type (`ret (params...)`, variadic params excluded).
    pub fn func_type(&self, types: &mut Types) -> TypeId {
        let n = self.fixed.unwrap_or(self.args.len());
        types.func(self.ret, self.args[..n].to_vec(), self.fixed.is_some())
    }
}

/// A batch of signatures sharing one type table: the fixed cases, or one
/// chunk of a seed's random signatures.
#[derive(Debug)]
pub struct Batch {
    /// The seed of the run.
    pub seed: u64,
    /// Global number of `sigs[0]` in the seed's sequence; `None` for the
    /// fixed cases.
    pub first: Option<usize>,
    /// Every type the signatures use.
    pub types: Types,
    /// The signatures.
    pub sigs: Vec<Signature>,
}

/// Generation limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most arguments per signature.
    pub max_args: usize,
    /// Deepest record nesting (a top-level record is depth 1).
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_args: 20,
            max_depth: 3,
        }
    }
}

/// The fixed cases ([`super::fixed`]) for `target`, with values from `seed`.
pub fn generate_fixed(target: Target, seed: u64) -> Batch {
    let mut types = Types::new(target);
    let mut r = Rng::new(seed ^ 0xf1ed_ca5e);
    let sigs = super::fixed::fixed_cases(&mut types)
        .into_iter()
        .map(|c| Signature {
            ret: c.ret,
            args: c.args,
            fixed: c.fixed,
            value_seed: r.next_u64(),
            label: Some(c.name),
        })
        .collect();
    Batch {
        seed,
        first: None,
        types,
        sigs,
    }
}

/// Random signatures `first .. first + count` of `seed`'s sequence for
/// `target`. The sequence is generated in chunks of [`super::CHUNK`], each
/// from its own seed, so any signature is regenerated from `(seed, number)`
/// without the ones before its chunk; `first` must start a chunk.
pub fn generate(target: Target, seed: u64, first: usize, count: usize, limits: Limits) -> Batch {
    let chunk = first / super::CHUNK;
    let mut g = Gen {
        r: Rng::new(seed ^ (chunk as u64).wrapping_mul(0xd134_2543_de82_ef95)),
        t: Types::new(target),
        tags: 0,
        limits,
    };
    let mut sigs = Vec::with_capacity(count);
    while sigs.len() < count {
        let nargs = g.r.below(limits.max_args as u64 + 1) as usize;
        let args: Vec<TypeId> = (0..nargs).map(|_| g.value()).collect();
        let ret = if g.r.chance(15) {
            g.t.prim(Prim::Void)
        } else {
            g.value()
        };
        let fixed = (nargs > 0 && g.r.chance(15)).then(|| 1 + g.r.below(nargs as u64) as usize);
        let value_seed = g.r.next_u64();
        sigs.push(Signature {
            ret,
            args,
            fixed,
            value_seed,
            label: None,
        });
    }
    Batch {
        seed,
        first: Some(first),
        types: g.t,
        sigs,
    }
}

impl Batch {
    /// How to name signature `k` of this batch in a report.
    pub fn id(&self, k: usize) -> String {
        match (self.first, self.sigs.get(k).and_then(|s| s.label)) {
            (Some(f), _) => format!("signature {}", f + k),
            (None, Some(l)) => format!("fixed case {k} ({l})"),
            (None, None) => format!("fixed case {k}"),
        }
    }

    /// The C prototype of signature `k` (`struct s3 f(int, ...)`).
    pub fn prototype(&self, k: usize) -> String {
        super::csrc::prototype(&self.types, &self.sigs[k], "f")
    }
}

struct Gen {
    r: Rng,
    t: Types,
    tags: u32,
    limits: Limits,
}

/// Every scalar type ([`Prim::SCALARS`], in its order) and `double` once
/// more (weighted: the commonest argument type); recorded seeds depend on
/// this order and length.
const SCALARS: [Prim; 21] = {
    let mut out = [Prim::Double; 21];
    let mut i = 0;
    while i < Prim::SCALARS.len() {
        out[i] = Prim::SCALARS[i];
        i += 1;
    }
    out
};

const BITFIELD_INTS: [Prim; 8] = [
    Prim::Int,
    Prim::UInt,
    Prim::Char,
    Prim::UChar,
    Prim::Short,
    Prim::UShort,
    Prim::Long,
    Prim::ULongLong,
];

impl Gen {
    fn value(&mut self) -> TypeId {
        if self.r.chance(50) {
            self.scalar()
        } else {
            self.record(1)
        }
    }

    fn scalar(&mut self) -> TypeId {
        if self.r.chance(5) {
            let to = if self.r.chance(50) {
                self.t.prim(Prim::Char)
            } else {
                self.t.prim(Prim::Void)
            };
            return self.t.pointer(to);
        }
        let p = self.r.pick(&SCALARS);
        self.t.prim(p)
    }

    fn float_leaf(&mut self) -> Prim {
        self.r
            .pick(&[Prim::Float, Prim::Float, Prim::Double, Prim::Double, Prim::LongDouble])
    }

    fn tag(&mut self) -> String {
        self.tags += 1;
        format!("s{}", self.tags)
    }

    /// A homogeneous floating-point aggregate candidate: 1–4 members of one
    /// float type, possibly as arrays or nested records.
    fn hfa(&mut self, depth: u32) -> TypeId {
        let p = self.float_leaf();
        let base = self.t.prim(p);
        let n = 1 + self.r.below(4);
        let mut decls = Vec::new();
        for k in 0..n {
            let name = format!("h{k}");
            let pick = self.r.below(10);
            let ty = if pick < 2 {
                self.t.array(base, Some(1 + self.r.below(2)))
            } else if pick < 3 && depth < self.limits.max_depth {
                let inner = FieldDecl::new("x", base);
                let tag = self.tag();
                self.t
                    .define_record(RecordKind::Struct, Some(&tag), vec![inner], RecordAttrs::default())
                    .expect("valid record")
            } else {
                base
            };
            decls.push(FieldDecl::new(&name, ty));
        }
        let kind = if self.r.chance(10) {
            RecordKind::Union
        } else {
            RecordKind::Struct
        };
        let tag = self.tag();
        self.t
            .define_record(kind, Some(&tag), decls, RecordAttrs::default())
            .expect("valid record")
    }

    fn record(&mut self, depth: u32) -> TypeId {
        if self.r.chance(20) {
            return self.hfa(depth);
        }
        let n = if self.r.chance(3) { 0 } else { 1 + self.r.below(5) };
        let mut decls = Vec::new();
        for k in 0..n {
            let name = format!("m{k}");
            let pick = self.r.below(100);
            let mut d = if pick < 50 {
                let t = self.scalar();
                FieldDecl::new(&name, t)
            } else if pick < 62 {
                let t = self.scalar();
                let a = self.t.array(t, Some(1 + self.r.below(3)));
                FieldDecl::new(&name, a)
            } else if pick < 80 && depth < self.limits.max_depth {
                let t = self.record(depth + 1);
                if self.r.chance(20) {
                    let a = self.t.array(t, Some(1 + self.r.below(2)));
                    FieldDecl::new(&name, a)
                } else {
                    FieldDecl::new(&name, t)
                }
            } else {
                let p = self.r.pick(&BITFIELD_INTS);
                let bits = p.size_align(self.t.target()).0 * 8;
                let t = self.t.prim(p);
                if self.r.chance(12) {
                    FieldDecl::bitfield(None, t, 0)
                } else {
                    FieldDecl::bitfield(Some(&name), t, 1 + self.r.below(bits) as u32)
                }
            };
            if d.bit_width.is_none() {
                if self.r.chance(5) {
                    d.align_attr = Some(self.r.pick(&[1, 2, 4, 8, 16]));
                }
                if self.r.chance(5) {
                    d.packed = true;
                }
            }
            decls.push(d);
        }
        let kind = if self.r.chance(20) {
            RecordKind::Union
        } else {
            RecordKind::Struct
        };
        let mut attrs = RecordAttrs {
            packed: self.r.chance(8),
            ..RecordAttrs::default()
        };
        if self.r.chance(4) {
            attrs.align_attr = Some(self.r.pick(&[4, 8, 16]));
        }
        if self.r.chance(5) {
            attrs.pragma_pack = Some(self.r.pick(&[1, 2, 4]));
        }
        let tag = self.tag();
        match self.t.define_record(kind, Some(&tag), decls.clone(), attrs) {
            Ok(t) => t,
            // A combination the layout engine rejects (it mirrors gcc's
            // errors): retry without attributes.
            Err(_) => {
                let tag = self.tag();
                let plain: Vec<FieldDecl> = decls
                    .into_iter()
                    .map(|mut d| {
                        d.align_attr = None;
                        d.packed = false;
                        d
                    })
                    .collect();
                self.t
                    .define_record(kind, Some(&tag), plain, RecordAttrs::default())
                    .expect("valid record")
            }
        }
    }
}
