//! The ABI target: a value, not a `cfg`, so every target can be laid out and
//! classified on any host.

use std::fmt;
use std::str::FromStr;

/// A C ABI abicall knows how to lay out and classify.
///
/// ```
/// use abicall::Target;
/// let t: Target = "aarch64".parse().unwrap();
/// assert_eq!(t, Target::Aarch64Linux);
/// assert!(!t.char_is_signed());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// x86_64 System V psABI (Linux, BSDs).
    X86_64SysV,
    /// AAPCS64 as used by Linux (LP64, unsigned `char`, binary128 `long double`).
    Aarch64Linux,
    /// Apple arm64 (AAPCS64 variant: signed `char`, `long double` = `double`,
    /// stack arguments packed at natural alignment, variadics on the stack).
    Aarch64Apple,
}

/// How `long double` is represented on a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LongDoubleFormat {
    /// x87 80-bit extended precision, stored in 16 bytes (x86_64).
    X87Extended,
    /// IEEE 754 binary128 (aarch64 Linux).
    Binary128,
    /// Same as `double` (Apple arm64).
    Double,
}

/// Which architecture family a target belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    /// x86_64.
    X86_64,
    /// aarch64 / arm64.
    Aarch64,
}

impl Target {
    /// Every target, in a fixed order (handy for tests).
    pub const ALL: [Target; 3] = [Target::X86_64SysV, Target::Aarch64Linux, Target::Aarch64Apple];

    /// The target of the machine this code runs on, if abicall supports it.
    pub fn host() -> Option<Target> {
        if cfg!(all(target_arch = "x86_64", not(windows))) {
            Some(Target::X86_64SysV)
        } else if cfg!(all(target_arch = "aarch64", target_vendor = "apple")) {
            Some(Target::Aarch64Apple)
        } else if cfg!(all(target_arch = "aarch64", target_os = "linux")) {
            Some(Target::Aarch64Linux)
        } else {
            None
        }
    }

    /// The architecture family.
    pub fn arch(self) -> Arch {
        match self {
            Target::X86_64SysV => Arch::X86_64,
            Target::Aarch64Linux | Target::Aarch64Apple => Arch::Aarch64,
        }
    }

    /// Whether plain `char` is signed.
    pub fn char_is_signed(self) -> bool {
        !matches!(self, Target::Aarch64Linux)
    }

    /// Whether `wchar_t` is signed (`int`) or unsigned (`unsigned int`).
    pub fn wchar_is_signed(self) -> bool {
        !matches!(self, Target::Aarch64Linux)
    }

    /// The representation of `long double`.
    pub fn long_double_format(self) -> LongDoubleFormat {
        match self {
            Target::X86_64SysV => LongDoubleFormat::X87Extended,
            Target::Aarch64Linux => LongDoubleFormat::Binary128,
            Target::Aarch64Apple => LongDoubleFormat::Double,
        }
    }

    /// `(size, align)` of `long double`.
    pub fn long_double_size_align(self) -> (u64, u64) {
        match self.long_double_format() {
            LongDoubleFormat::Double => (8, 8),
            _ => (16, 16),
        }
    }

    /// The alignment of a GCC vector type (`vector_size(N)`) of `size` bytes:
    /// gcc's `TYPE_ALIGN`, which places it in records and arrays. x86_64
    /// (`default_vector_alignment`): the size itself, whatever `-mavx` says
    /// (gcc 12 gives a 2^26-byte vector 2^26-byte alignment); AAPCS64
    /// (`aarch64_vector_alignment`, clang likewise for Apple): the size, at
    /// most 16. (gcc's C11 `_Alignof` of an x86_64 vector type reports at
    /// most 16 without `-mavx`, `BIGGEST_ALIGNMENT`, while `__alignof__` and
    /// every layout use this value; checked with gcc 12 and
    /// aarch64-linux-gnu-gcc 12.)
    pub fn vector_align(self, size: u64) -> u64 {
        match self.arch() {
            Arch::X86_64 => size,
            Arch::Aarch64 => size.min(16),
        }
    }

    /// Whether unnamed bitfields (including `:0`) raise the alignment of the
    /// enclosing record. gcc's `TARGET_ALIGN_ANON_BITFIELD`: true for AAPCS64
    /// (§10.1.7 of the AAPCS64 treats them as ordinary members), false for the
    /// i386/x86_64 psABI.
    pub fn anon_bitfield_affects_align(self) -> bool {
        matches!(self.arch(), Arch::Aarch64)
    }

    /// Short lowercase name as used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::X86_64SysV => "x86_64",
            Target::Aarch64Linux => "aarch64",
            Target::Aarch64Apple => "aarch64-apple",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an unknown target name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown target `{0}` (expected x86_64, aarch64 or aarch64-apple)")]
pub struct UnknownTarget(pub String);

impl FromStr for Target {
    type Err = UnknownTarget;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "x86_64" | "x86-64" | "x86_64-linux" | "x86_64-sysv" | "amd64" => Ok(Target::X86_64SysV),
            "aarch64" | "aarch64-linux" | "arm64-linux" => Ok(Target::Aarch64Linux),
            "aarch64-apple" | "arm64-apple" | "apple-arm64" | "arm64" => Ok(Target::Aarch64Apple),
            _ => Err(UnknownTarget(s.to_string())),
        }
    }
}
