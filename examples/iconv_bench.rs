//! `cargo run --release --example iconv_bench -- MODE N`: converts N small
//! Latin-1 strings to UTF-8 with glibc's iconv, one conversion per string,
//! and prints the time per string. Used by `benches/iconv_three_ways.sh`.
//!
//! MODE:
//! * `spawn`   — run `iconv -f LATIN1 -t UTF-8` as a child process per string;
//! * `abicall` — one [`Function::call`] per string (`Value` arguments);
//! * `raw`     — one [`abicall::call::RawCall::call`] per string (argument
//!   pointers + return buffer, no allocation per call);
//! * `direct`  — Rust calling `iconv` through an `extern "C"` declaration
//!   (the baseline: what a hand-written binding costs).
//!
//! Output: `MODE N best_total_ns ns_per_string checksum`; the checksum
//! (FNV-1a over all output bytes) must be equal across modes.

use abicall::library::Library;
use abicall::{Ffi, Function, Value};
use std::ffi::{c_char, c_int, c_void};
use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

extern "C" {
    fn iconv_open(tocode: *const c_char, fromcode: *const c_char) -> *mut c_void;
    fn iconv(
        cd: *mut c_void,
        inbuf: *mut *mut c_char,
        inbytesleft: *mut usize,
        outbuf: *mut *mut c_char,
        outbytesleft: *mut usize,
    ) -> usize;
    fn iconv_close(cd: *mut c_void) -> c_int;
}

const OUT: usize = 256;
/// Rounds for the in-process modes (the best round is reported).
const ROUNDS: usize = 5;

/// The test strings, Latin-1 encoded.
fn strings(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            format!("Grüße aus Köln, Nr. {i}: ½ Maß für 3,50 € ... nein, £ oder ¥ — déjà vu")
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect()
        })
        .collect()
}

/// FNV-1a, to compare outputs across modes.
fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h = (*h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, n) = match args.as_slice() {
        [m, n] => match n.parse::<usize>() {
            Ok(n) => (m.as_str(), n),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    let input = strings(n);
    let result = match mode {
        "spawn" => spawn(&input).map(|r| (r, 1)),
        "abicall" => best(|| via_abicall(&input)),
        "raw" => best(|| via_raw(&input)),
        "direct" => best(|| direct(&input)),
        _ => return usage(),
    };
    match result {
        Ok(((ns, sum), _)) => {
            println!("{mode} {n} {ns} {:.1} {sum:016x}", ns as f64 / n as f64);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("iconv_bench: {mode}: {e}");
            ExitCode::from(1)
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: iconv_bench spawn|abicall|raw|direct N");
    ExitCode::from(2)
}

type Timed = Result<(u128, u64), String>;

/// The fastest of `ROUNDS` runs (all must agree on the checksum).
fn best(f: impl Fn() -> Timed) -> Result<((u128, u64), usize), String> {
    let mut best: Option<(u128, u64)> = None;
    for _ in 0..ROUNDS {
        let (ns, sum) = f()?;
        if let Some((_, s)) = best {
            if s != sum {
                return Err("checksum differs between rounds".into());
            }
        }
        best = Some(best.map_or((ns, sum), |(b, _)| (b.min(ns), sum)));
    }
    best.map(|b| (b, ROUNDS)).ok_or_else(|| "no rounds".into())
}

fn spawn(input: &[Vec<u8>]) -> Timed {
    let mut sum = 0xcbf2_9ce4_8422_2325u64;
    let start = Instant::now();
    for s in input {
        let mut child = Command::new("iconv")
            .args(["-f", "LATIN1", "-t", "UTF-8"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run iconv: {e}"))?;
        child
            .stdin
            .take()
            .ok_or("no stdin")?
            .write_all(s)
            .map_err(|e| e.to_string())?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err("iconv failed".into());
        }
        fnv(&mut sum, &out.stdout);
    }
    Ok((start.elapsed().as_nanos(), sum))
}

/// iconv, iconv_open and iconv_close declared as C text.
fn declared() -> Result<(Ffi, Function, Function, Function), String> {
    let mut ffi = Ffi::host().map_err(|e| e.to_string())?;
    ffi.cdef(
        "typedef void *iconv_t; iconv_t iconv_open(const char *, const char *);
         size_t iconv(iconv_t, char **, size_t *, char **, size_t *); int iconv_close(iconv_t);",
    )
    .map_err(|e| e.to_string())?;
    let libc = Library::process();
    let f = |name| ffi.function(&libc, name).map_err(|e| e.to_string());
    let (open, conv, close) = (f("iconv_open")?, f("iconv")?, f("iconv_close")?);
    Ok((ffi, open, conv, close))
}

fn via_abicall(input: &[Vec<u8>]) -> Timed {
    let e = |e: abicall::Error| e.to_string();
    let (mut ffi, open, conv, close) = declared()?;
    // SAFETY: `open` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    let cd = unsafe { open.call(&[Value::str("UTF-8"), Value::str("LATIN1")]) }.map_err(e)?;
    let inbuf = ffi.new_object("char[256]", None).map_err(e)?;
    let outbuf = ffi.new_object(&format!("char[{OUT}]"), None).map_err(e)?;
    let cells: Vec<_> = ["char **", "size_t *", "char **", "size_t *"]
        .iter()
        .map(|t| ffi.new_object(t, None))
        .collect::<Result<_, _>>()
        .map_err(e)?;
    let t = ffi.types();
    let (in_base, out_base) = (
        Value::Pointer(inbuf.decay(&t).map_err(e)?),
        Value::Pointer(outbuf.decay(&t).map_err(e)?),
    );
    // The argument list is made once: pointers to the four cells.
    let mut args = vec![cd.clone()];
    for c in &cells {
        args.push(Value::Pointer(c.pointer().map_err(e)?));
    }
    let mut sum = 0xcbf2_9ce4_8422_2325u64;
    let mut out = [0u8; OUT];
    let start = Instant::now();
    for s in input {
        inbuf.write_bytes(0, s).map_err(e)?;
        cells[0].write(&t, &in_base).map_err(e)?;
        cells[1].write(&t, &Value::Int(s.len() as i128)).map_err(e)?;
        cells[2].write(&t, &out_base).map_err(e)?;
        cells[3].write(&t, &Value::Int(OUT as i128)).map_err(e)?;
        // SAFETY: `conv` is declared with its real signature (the example's declarations) and these arguments are valid for it.
        let r = unsafe { conv.call(&args) }.map_err(e)?;
        if r.as_int() == Some(u64::MAX as i128) {
            return Err(format!("iconv failed, errno {}", abicall::call::errno()));
        }
        let left = cells[3].read(&t).map_err(e)?.as_int().unwrap_or(0) as usize;
        outbuf.read_bytes(0, &mut out[..OUT - left]).map_err(e)?;
        fnv(&mut sum, &out[..OUT - left]);
    }
    let ns = start.elapsed().as_nanos();
    drop(t);
    // SAFETY: `close` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    unsafe { close.call(&[cd]) }.map_err(e)?;
    Ok((ns, sum))
}

fn via_raw(input: &[Vec<u8>]) -> Timed {
    let e = |e: abicall::Error| e.to_string();
    let (_ffi, open, conv, close) = declared()?;
    // SAFETY: `open` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    let cd_value = unsafe { open.call(&[Value::str("UTF-8"), Value::str("LATIN1")]) }.map_err(e)?;
    let raw = conv.raw().ok_or("iconv has no prepared raw call")?;
    // An interpreter keeps its own buffers and hands the engine pointers to
    // each argument's bytes.
    let cd: usize = cd_value.as_ptr().ok_or("iconv_open returned no pointer")?.addr();
    let mut inbuf = [0u8; 256];
    let mut outbuf = [0u8; OUT];
    let (mut in_ptr, mut in_left, mut out_ptr, mut out_left): (*mut u8, usize, *mut u8, usize) =
        (std::ptr::null_mut(), 0, std::ptr::null_mut(), 0);
    let (p_in_ptr, p_in_left, p_out_ptr, p_out_left) = (
        &raw mut in_ptr as usize,
        &raw mut in_left as usize,
        &raw mut out_ptr as usize,
        &raw mut out_left as usize,
    );
    let argv: [*const c_void; 5] = [
        &raw const cd as *const c_void,
        &raw const p_in_ptr as *const c_void,
        &raw const p_in_left as *const c_void,
        &raw const p_out_ptr as *const c_void,
        &raw const p_out_left as *const c_void,
    ];
    let mut ret = 0usize;
    let mut sum = 0xcbf2_9ce4_8422_2325u64;
    let start = Instant::now();
    for s in input {
        inbuf[..s.len()].copy_from_slice(s);
        in_ptr = inbuf.as_mut_ptr();
        in_left = s.len();
        out_ptr = outbuf.as_mut_ptr();
        out_left = OUT;
        // SAFETY: argv points to values of the declared parameter types
        // (iconv_t, char **, size_t *, char **, size_t *), whose pointees are
        // the live locals above; `ret` holds a size_t.
        unsafe { raw.call(&argv, &raw mut ret as *mut c_void) }.map_err(e)?;
        // The C function wrote through the pointers; read the locals back.
        // SAFETY: plain reads of locals that C updated through raw pointers.
        let left = unsafe { std::ptr::read_volatile(&raw const out_left) };
        if ret == usize::MAX {
            return Err(format!("iconv failed, errno {}", abicall::call::errno()));
        }
        fnv(&mut sum, &outbuf[..OUT - left]);
    }
    let ns = start.elapsed().as_nanos();
    let _ = (in_ptr, in_left, out_ptr);
    // SAFETY: `close` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    unsafe { close.call(&[cd_value]) }.map_err(e)?;
    Ok((ns, sum))
}

fn direct(input: &[Vec<u8>]) -> Timed {
    // SAFETY: NUL-terminated literals.
    let cd = unsafe { iconv_open(c"UTF-8".as_ptr(), c"LATIN1".as_ptr()) };
    if cd as usize == usize::MAX {
        return Err("iconv_open failed".into());
    }
    let mut inbuf = [0u8; 256];
    let mut outbuf = [0u8; OUT];
    let mut sum = 0xcbf2_9ce4_8422_2325u64;
    let start = Instant::now();
    for s in input {
        inbuf[..s.len()].copy_from_slice(s);
        let mut in_ptr = inbuf.as_mut_ptr() as *mut c_char;
        let mut in_left = s.len();
        let mut out_ptr = outbuf.as_mut_ptr() as *mut c_char;
        let mut out_left = OUT;
        // SAFETY: valid descriptor and buffers of the given sizes.
        let r = unsafe { iconv(cd, &mut in_ptr, &mut in_left, &mut out_ptr, &mut out_left) };
        if r == usize::MAX {
            return Err("iconv failed".into());
        }
        fnv(&mut sum, &outbuf[..OUT - out_left]);
    }
    let ns = start.elapsed().as_nanos();
    // SAFETY: `cd` came from iconv_open and is closed once.
    unsafe { iconv_close(cd) };
    Ok((ns, sum))
}
