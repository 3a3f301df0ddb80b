//! `cargo run --example zlib`: a compress / uncompress round trip with
//! zlib's streaming API (`z_stream` passed by pointer), using `zlib.h`
//! itself for the declarations.
//!
//! * `z_stream` and the functions come from `zlib.h`, run through the C
//!   preprocessor ([`abicall::header::preprocess`]) and parsed;
//! * the `Z_*` constants come from the same header's macros (`cc -dM -E`):
//!   abicall's parser keeps `#define NAME <constant>` lines;
//! * `deflateInit(strm, level)` is a macro for
//!   `deflateInit_(strm, level, ZLIB_VERSION, (int)sizeof(z_stream))`: the
//!   version string comes from `zlibVersion()`, the size from our layout of
//!   `z_stream`, which zlib checks against its own.

use abicall::library::Library;
use abicall::memory::CData;
use abicall::{Ffi, Function, Value};

fn main() -> abicall::Result<()> {
    let target = abicall::Target::host()
        .ok_or_else(|| abicall::Error::call(abicall::CallErrorKind::Other, None, "unsupported host"))?;
    let mut ffi = Ffi::new(target);
    ffi.cdef(&abicall::header::preprocess(target, "zlib.h", &[])?)?;
    // Only the macros zlib.h defines itself (`Z_OK`, `Z_FINISH`, ...).
    let macros = abicall::header::preprocess(target, "zlib.h", &["-dM".to_string()])?;
    let zdefs: String = macros
        .lines()
        .filter(|l| l.starts_with("#define Z_"))
        .map(|l| l.to_string() + "\n")
        .collect();
    ffi.cdef(&zdefs)?;
    let constant = |name: &str| -> abicall::Result<i128> {
        ffi.constant(name)?.as_int().ok_or_else(|| {
            abicall::Error::call(abicall::CallErrorKind::Other, None, format!("{name} is not an integer"))
        })
    };
    let (z_ok, z_stream_end, z_finish) = (constant("Z_OK")?, constant("Z_STREAM_END")?, constant("Z_FINISH")?);
    let level = constant("Z_BEST_COMPRESSION")?;

    // SAFETY: loading `libz.so.1` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let lib = unsafe { Library::open("libz.so.1") }?;
    let f = |name: &str| ffi.function(&lib, name);
    let (version, deflate_init, deflate, deflate_end) =
        (f("zlibVersion")?, f("deflateInit_")?, f("deflate")?, f("deflateEnd")?);
    let (inflate_init, inflate, inflate_end) = (f("inflateInit_")?, f("inflate")?, f("inflateEnd")?);
    // SAFETY: `version` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    let version = unsafe { version.call(&[]) }?;
    let version_text = match version.as_ptr() {
        // SAFETY: zlibVersion returns a static NUL-terminated string.
        Some(p) if !p.is_null() => String::from_utf8_lossy(&unsafe { p.string(None) }?).into_owned(),
        _ => {
            return Err(abicall::Error::call(
                abicall::CallErrorKind::Other,
                None,
                "zlibVersion returned NULL",
            ))
        }
    };
    let stream_size = ffi.sizeof("z_stream")? as i64;
    println!("zlib {version_text}, sizeof(z_stream) = {stream_size}");

    let text = "abicall calls zlib through a z_stream pointer. ".repeat(40);
    let original = text.as_bytes();
    let check = |what: &str, rc: Value, want: i128| -> abicall::Result<()> {
        match rc.as_int() {
            Some(r) if r == want => Ok(()),
            _ => Err(abicall::Error::call(
                abicall::CallErrorKind::Other,
                None,
                format!("{what} returned {rc:?}, expected {want}"),
            )),
        }
    };

    // Compress: one deflate(Z_FINISH) call with an output buffer big enough.
    let input = ffi.new_object(&format!("Bytef[{}]", original.len()), None)?;
    input.write_bytes(0, original)?;
    let packed = ffi.new_object(&format!("Bytef[{}]", original.len() + 64), None)?;
    let strm = ffi.new_object("z_stream *", None)?;
    let args = |extra: Vec<Value>| -> abicall::Result<Vec<Value>> {
        let mut v = vec![Value::Pointer(strm.pointer()?)];
        v.extend(extra);
        Ok(v)
    };
    check(
        "deflateInit_",
        // SAFETY: `deflate_init` is declared with its real signature (the example's declarations) and these arguments are valid for it.
        unsafe {
            deflate_init.call(&args(vec![
                Value::Int(level),
                version.clone(),
                Value::from(stream_size),
            ])?)
        }?,
        z_ok,
    )?;
    let compressed = pump(&ffi, &strm, &input, original.len(), &packed, &deflate, z_finish)?;
    check("deflate", compressed.0, z_stream_end)?;
    // SAFETY: `deflate_end` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    check("deflateEnd", unsafe { deflate_end.call(&args(vec![])?) }?, z_ok)?;
    let packed_len = compressed.1;
    println!("compressed {} bytes to {packed_len}", original.len());

    // Uncompress into a fresh buffer, reusing the (zeroed) stream object.
    strm.zero(&ffi.types())?;
    let unpacked = ffi.new_object(&format!("Bytef[{}]", original.len() + 16), None)?;
    check(
        "inflateInit_",
        // SAFETY: `inflate_init` is declared with its real signature (the example's declarations) and these arguments are valid for it.
        unsafe { inflate_init.call(&args(vec![version.clone(), Value::from(stream_size)])?) }?,
        z_ok,
    )?;
    let inflated = pump(&ffi, &strm, &packed, packed_len, &unpacked, &inflate, z_finish)?;
    check("inflate", inflated.0, z_stream_end)?;
    // SAFETY: `inflate_end` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    check("inflateEnd", unsafe { inflate_end.call(&args(vec![])?) }?, z_ok)?;
    let mut round = vec![0u8; inflated.1];
    unpacked.read_bytes(0, &mut round)?;
    println!("uncompressed {packed_len} bytes to {}", round.len());
    println!("round trip identical: {}", round == original);
    Ok(())
}

/// Points the stream at `input[..len]` and `output`, calls `step(strm,
/// flush)` once, and returns its result and `total_out`.
fn pump(
    ffi: &Ffi,
    strm: &CData,
    input: &CData,
    len: usize,
    output: &CData,
    step: &Function,
    flush: i128,
) -> abicall::Result<(Value, usize)> {
    let out_len = ffi.types().size_of(output.ty())? as i128;
    {
        let t = ffi.types();
        strm.set(&t, "next_in", &Value::Pointer(input.decay(&t)?))?;
        strm.set(&t, "avail_in", &Value::Int(len as i128))?;
        strm.set(&t, "next_out", &Value::Pointer(output.decay(&t)?))?;
        strm.set(&t, "avail_out", &Value::Int(out_len))?;
    }
    // SAFETY: `step` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    let rc = unsafe { step.call(&[Value::Pointer(strm.pointer()?), Value::Int(flush)]) }?;
    let total = strm.get(&ffi.types(), "total_out")?.as_int().unwrap_or(0) as usize;
    Ok((rc, total))
}
