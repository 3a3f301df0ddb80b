//! `cargo run --release --example iconv -- ENCODING FILE`
//!
//! Converts FILE from ENCODING to UTF-8 on stdout, like
//! `iconv -f ENCODING -t UTF-8 FILE`, by calling glibc's `iconv_open`,
//! `iconv` and `iconv_close` through abicall:
//!
//! * the functions are declared as C text and looked up in the running
//!   process (libc is already loaded);
//! * the input and output buffers, and the `char *` / `size_t` cells that
//!   `iconv` updates, are owned C memory ([`CData`]);
//! * `errno` is read after each call ([`abicall::call::errno`]) and
//!   EILSEQ / EINVAL / E2BIG handled as iconv(1) does;
//! * the file is streamed in 64 KiB chunks: an incomplete multibyte
//!   sequence at the end of a chunk (EINVAL) is carried over to the next
//!   one, a full output buffer (E2BIG) is flushed and the call repeated.
//!
//! Errors are reported like iconv(1) (`iconv: illegal input sequence at
//! position N`, exit status 1).

use abicall::library::Library;
use abicall::memory::CData;
use abicall::{Ffi, Function, Value};
use std::fs::File;
use std::io::{Read, Write};
use std::process::ExitCode;

/// Input bytes read from the file per `iconv` round.
const CHUNK: usize = 64 * 1024;
/// Room for an incomplete sequence carried over from the previous chunk
/// (the longest multibyte sequence of any glibc charset is far shorter).
const CARRY: usize = 64;
/// Output buffer size.
const OUT: usize = 64 * 1024;

// Linux errno values (asm-generic/errno-base.h, errno.h).
const E2BIG: i32 = 7;
const EINVAL: i32 = 22;
const EILSEQ: i32 = 84;

const DECLS: &str = "
    typedef void *iconv_t;
    iconv_t iconv_open(const char *tocode, const char *fromcode);
    size_t iconv(iconv_t cd, char **inbuf, size_t *inbytesleft, char **outbuf, size_t *outbytesleft);
    int iconv_close(iconv_t cd);
    char *strerror(int errnum);
";

/// `(size_t)-1`, iconv's error return.
const FAILED: i128 = u64::MAX as i128;

/// A failure to report: the message (without the `iconv: ` prefix).
struct Failure(String);

impl From<abicall::Error> for Failure {
    fn from(e: abicall::Error) -> Failure {
        Failure(format!("abicall: {e}"))
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure(format!("cannot write output: {e}"))
    }
}

/// The C functions used, prepared once.
struct Iconv {
    ffi: Ffi,
    open: Function,
    conv: Function,
    close: Function,
    strerror: Function,
}

impl Iconv {
    fn new() -> Result<Iconv, Failure> {
        let mut ffi = Ffi::host()?;
        ffi.cdef(DECLS)?;
        let libc = Library::process();
        Ok(Iconv {
            open: ffi.function(&libc, "iconv_open")?,
            conv: ffi.function(&libc, "iconv")?,
            close: ffi.function(&libc, "iconv_close")?,
            strerror: ffi.function(&libc, "strerror")?,
            ffi,
        })
    }

    /// `strerror(e)` through abicall.
    fn strerror(&self, e: i32) -> String {
        // SAFETY: `strerror` is declared with its real signature (the example's declarations) and these arguments are valid for it.
        let r = unsafe { self.strerror.call(&[Value::from(e)]) };
        match r.as_ref().ok().and_then(Value::as_ptr) {
            // SAFETY: strerror returns a NUL-terminated string that stays
            // valid until the next strerror call in this thread.
            Some(p) if !p.is_null() => match unsafe { abicall::memory::string_at(p.addr() as *const u8, None) } {
                Ok(s) => String::from_utf8_lossy(&s).into_owned(),
                Err(_) => format!("errno {e}"),
            },
            _ => format!("errno {e}"),
        }
    }
}

/// Owned C memory for one conversion: the buffers and the four cells
/// `iconv` reads and advances (`*inbuf`, `*inbytesleft`, `*outbuf`,
/// `*outbytesleft`).
struct Buffers {
    input: CData,
    output: CData,
    in_ptr: CData,
    in_left: CData,
    out_ptr: CData,
    out_left: CData,
}

impl Buffers {
    fn new(ffi: &mut Ffi) -> Result<Buffers, Failure> {
        Ok(Buffers {
            input: ffi.new_object(&format!("char[{}]", CHUNK + CARRY), None)?,
            output: ffi.new_object(&format!("char[{OUT}]"), None)?,
            in_ptr: ffi.new_object("char **", None)?,
            in_left: ffi.new_object("size_t *", None)?,
            out_ptr: ffi.new_object("char **", None)?,
            out_left: ffi.new_object("size_t *", None)?,
        })
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 2 {
        eprintln!("usage: iconv ENCODING FILE   (converts FILE from ENCODING to UTF-8)");
        return ExitCode::from(2);
    }
    match convert(&args[0], &args[1]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg)) => {
            eprintln!("iconv: {msg}");
            ExitCode::from(1)
        }
    }
}

fn convert(encoding: &str, path: &str) -> Result<(), Failure> {
    let mut lib = Iconv::new()?;
    let mut file = File::open(path).map_err(|e| {
        let why = e.raw_os_error().map_or_else(|| e.to_string(), |n| lib.strerror(n));
        Failure(format!("cannot open input file `{path}': {why}"))
    })?;
    let bufs = Buffers::new(&mut lib.ffi)?;

    // SAFETY: `open` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    let cd = unsafe { lib.open.call(&[Value::str("UTF-8"), Value::str(encoding)]) }?;
    if cd.as_ptr().is_some_and(|p| p.addr() == usize::MAX) {
        let e = abicall::call::errno();
        return Err(Failure(if e == EINVAL {
            format!("conversion from `{encoding}' to `UTF-8' is not supported")
        } else {
            format!("failed to start conversion processing: {}", lib.strerror(e))
        }));
    }
    let result = stream(&lib, &bufs, &cd, &mut file);
    // SAFETY: `close` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    unsafe { lib.close.call(&[cd]) }?;
    result
}

/// Converts the whole file, chunk by chunk.
fn stream(lib: &Iconv, b: &Buffers, cd: &Value, file: &mut File) -> Result<(), Failure> {
    let t = lib.ffi.types();
    let mut out = std::io::stdout().lock();
    let mut chunk = vec![0u8; CHUNK];
    let in_base = b.input.decay(&t)?;
    let out_base = b.output.decay(&t)?;
    // Bytes carried over at the start of `input`, and the file position of `input[0]`.
    let mut pending = 0usize;
    let mut position: u64 = 0;
    loop {
        let got = read_full(file, &mut chunk).map_err(|e| Failure(format!("unable to read input: {e}")))?;
        let at_end = got == 0;
        b.input.write_bytes(pending, &chunk[..got])?;
        let n = pending + got;
        if n == 0 {
            break;
        }
        b.in_ptr.write(&t, &Value::Pointer(in_base.clone()))?;
        b.in_left.write(&t, &Value::Int(n as i128))?;
        pending = 0;
        loop {
            b.out_ptr.write(&t, &Value::Pointer(out_base.clone()))?;
            b.out_left.write(&t, &Value::Int(OUT as i128))?;
            // SAFETY: `conv` is declared with its real signature (the example's declarations) and these arguments are valid for it.
            let r = unsafe {
                lib.conv.call(&[
                    cd.clone(),
                    Value::Pointer(b.in_ptr.pointer()?),
                    Value::Pointer(b.in_left.pointer()?),
                    Value::Pointer(b.out_ptr.pointer()?),
                    Value::Pointer(b.out_left.pointer()?),
                ])
            }?;
            let err = abicall::call::errno();
            flush_output(&t, b, &mut out)?;
            let left = size(&t, &b.in_left)?;
            if r.as_int() != Some(FAILED) {
                break;
            }
            match err {
                // Output buffer full: it was just flushed, go on.
                E2BIG => continue,
                // Incomplete sequence at the end of the input buffer.
                EINVAL if !at_end => {
                    let from = n - left;
                    let mut tail = vec![0u8; left];
                    b.input.read_bytes(from, &mut tail)?;
                    b.input.write_bytes(0, &tail)?;
                    pending = left;
                    break;
                }
                EINVAL => {
                    out.flush()?;
                    return Err(Failure(
                        "incomplete character or shift sequence at end of buffer".to_string(),
                    ));
                }
                EILSEQ => {
                    out.flush()?;
                    let at = position + (n - left) as u64;
                    return Err(Failure(format!("illegal input sequence at position {at}")));
                }
                e => {
                    out.flush()?;
                    return Err(Failure(format!("cannot convert: {}", lib.strerror(e))));
                }
            }
        }
        position += (n - pending) as u64;
        if at_end {
            break;
        }
    }
    // End of input: let a stateful encoding write its closing shift sequence.
    loop {
        b.out_ptr.write(&t, &Value::Pointer(out_base.clone()))?;
        b.out_left.write(&t, &Value::Int(OUT as i128))?;
        // SAFETY: `conv` is declared with its real signature (the example's declarations) and these arguments are valid for it.
        let r = unsafe {
            lib.conv.call(&[
                cd.clone(),
                Value::Null,
                Value::Null,
                Value::Pointer(b.out_ptr.pointer()?),
                Value::Pointer(b.out_left.pointer()?),
            ])
        }?;
        let err = abicall::call::errno();
        flush_output(&t, b, &mut out)?;
        if r.as_int() != Some(FAILED) {
            break;
        }
        if err != E2BIG {
            return Err(Failure(format!("cannot convert: {}", lib.strerror(err))));
        }
    }
    out.flush()?;
    Ok(())
}

/// Reads until `buf` is full or the file ends; returns the byte count.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The value of a `size_t` cell.
fn size(t: &abicall::types::Types, cell: &CData) -> Result<usize, Failure> {
    cell.read(t)?
        .as_int()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| Failure("size_t cell holds a non-integer".to_string()))
}

/// Writes what `iconv` produced in the output buffer to stdout.
fn flush_output(t: &abicall::types::Types, b: &Buffers, out: &mut impl Write) -> Result<(), Failure> {
    let produced = OUT - size(t, &b.out_left)?;
    if produced > 0 {
        let mut bytes = vec![0u8; produced];
        b.output.read_bytes(0, &mut bytes)?;
        out.write_all(&bytes)?;
    }
    Ok(())
}
