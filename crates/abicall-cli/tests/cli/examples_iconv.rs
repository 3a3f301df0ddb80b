//! `examples/iconv.rs` against the system `iconv -f ENC -t UTF-8 FILE`: same
//! stdout bytes, same stderr, same exit status, on files written here.

use crate::examples_support;

use examples_support::{run, temp_dir};
use std::path::Path;
use std::process::Command;

const JAPANESE: &str = "日本語のテキスト、漢字とかなカナ。東京都、大阪府。\n";

/// Encodes UTF-8 text with the system iconv (the oracle).
fn encode(text: &str, to: &str) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("iconv")
        .args(["-f", "UTF-8", "-t", to])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("iconv not found: run `apt-get install -y libc-bin`");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "iconv -t {to} failed");
    out.stdout
}

/// Runs both converters on `bytes` and requires identical results; returns
/// (stdout, stderr, exit code).
fn same_as_iconv(tag: &str, encoding: &str, bytes: &[u8]) -> (Vec<u8>, String, Option<i32>) {
    let dir = temp_dir(&format!("iconv-{tag}"));
    let file = dir.join("input");
    std::fs::write(&file, bytes).unwrap();
    let f = file.to_str().unwrap();
    let oracle = Command::new("iconv")
        .args(["-f", encoding, "-t", "UTF-8", f])
        .output()
        .expect("iconv not found: run `apt-get install -y libc-bin`");
    let ours = run("iconv", &[encoding, f]);
    let (os, us) = (
        String::from_utf8_lossy(&oracle.stderr).into_owned(),
        String::from_utf8_lossy(&ours.stderr).into_owned(),
    );
    assert_eq!(ours.stdout.len(), oracle.stdout.len(), "{tag}: output length");
    assert!(ours.stdout == oracle.stdout, "{tag}: output bytes differ");
    assert_eq!(us, os, "{tag}: stderr");
    assert_eq!(ours.status.code(), oracle.status.code(), "{tag}: exit status");
    let _ = std::fs::remove_dir_all(Path::new(&dir));
    (ours.stdout, us, ours.status.code())
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: converting needs glibc gconv modules, which the aarch64 cross libc run by qemu-user here does not have"
)]
fn latin1() {
    let bytes = b"caf\xe9 na\xefve \xa9 \xb5 \xff \xc0\xc9\xd6\n".to_vec();
    let (out, _, code) = same_as_iconv("latin1", "LATIN1", &bytes);
    assert_eq!(code, Some(0));
    assert_eq!(String::from_utf8(out).unwrap(), "café naïve © µ ÿ ÀÉÖ\n");
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: converting needs glibc gconv modules, which the aarch64 cross libc run by qemu-user here does not have"
)]
fn utf16le_with_bom() {
    let text = "BOM says little endian: é ß 日本 😀 (a surrogate pair)\n";
    let mut bytes = vec![0xff, 0xfe];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let (out, _, code) = same_as_iconv("utf16", "UTF-16", &bytes);
    assert_eq!(code, Some(0));
    assert_eq!(String::from_utf8(out).unwrap(), text);
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: converting needs glibc gconv modules, which the aarch64 cross libc run by qemu-user here does not have"
)]
fn shift_jis() {
    let bytes = encode(JAPANESE, "SHIFT_JIS");
    assert_ne!(bytes, JAPANESE.as_bytes());
    let (out, _, code) = same_as_iconv("sjis", "SHIFT_JIS", &bytes);
    assert_eq!(code, Some(0));
    assert_eq!(String::from_utf8(out).unwrap(), JAPANESE);
}

#[test]
fn invalid_sequence() {
    let (out, err, code) = same_as_iconv("invalid", "UTF-8", b"valid text\n\xc3\xa9 then \xff\xfe bad\n");
    assert_eq!(code, Some(1));
    assert_eq!(err, "iconv: illegal input sequence at position 19\n");
    assert_eq!(out, "valid text\né then ".as_bytes());
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: converting needs glibc gconv modules, which the aarch64 cross libc run by qemu-user here does not have"
)]
fn incomplete_sequence_at_end_of_file() {
    let mut bytes = encode("ends in the middle of 漢", "SHIFT_JIS");
    bytes.pop();
    let (_, err, code) = same_as_iconv("incomplete", "SHIFT_JIS", &bytes);
    assert_eq!(code, Some(1));
    assert_eq!(err, "iconv: incomplete character or shift sequence at end of buffer\n");
}

/// 64 KiB chunks: sequences straddling every chunk boundary, an output
/// larger than the output buffer, and an invalid byte whose position must
/// count the chunks before it.
#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: converting needs glibc gconv modules, which the aarch64 cross libc run by qemu-user here does not have"
)]
fn larger_than_one_chunk() {
    const CHUNK: usize = 64 * 1024;
    // Shift_JIS: a two-byte character across the first and second boundaries.
    let mut sjis = vec![b'a'; CHUNK - 1];
    sjis.extend(encode("漢字", "SHIFT_JIS"));
    sjis.extend(std::iter::repeat_n(b'b', CHUNK - 5));
    sjis.extend(encode("東京\n", "SHIFT_JIS"));
    sjis.extend(encode(&JAPANESE.repeat(2000), "SHIFT_JIS"));
    assert_eq!(sjis[CHUNK - 1..CHUNK + 1], encode("漢", "SHIFT_JIS")[..]);
    let (out, _, code) = same_as_iconv("big-sjis", "SHIFT_JIS", &sjis);
    assert_eq!(code, Some(0));
    assert!(out.len() > 3 * CHUNK);

    // UTF-16 with BOM: a surrogate pair across the boundary.
    let mut text = "x".repeat(CHUNK / 2 - 2);
    text.push('😀');
    text.push_str(&"y".repeat(CHUNK));
    let mut u16 = vec![0xff, 0xfe];
    for u in text.encode_utf16() {
        u16.extend_from_slice(&u.to_le_bytes());
    }
    assert_eq!(u16[CHUNK - 2..CHUNK + 2], [0x3d, 0xd8, 0x00, 0xde]);
    let (out, _, code) = same_as_iconv("big-utf16", "UTF-16", &u16);
    assert_eq!((out, code), (text.into_bytes(), Some(0)));

    // UTF-8: a three-byte sequence across the boundary, then an invalid
    // byte in the third chunk.
    let mut utf8 = vec![b'c'; CHUNK - 1];
    utf8.extend("€".as_bytes());
    utf8.extend(std::iter::repeat_n(b'd', CHUNK + 100));
    let bad_at = utf8.len();
    utf8.extend(b"\xff tail");
    let (_, err, code) = same_as_iconv("big-invalid", "UTF-8", &utf8);
    assert_eq!(code, Some(1));
    assert_eq!(err, format!("iconv: illegal input sequence at position {bad_at}\n"));
}

#[test]
fn usage_and_unknown_encoding() {
    let o = run("iconv", &[]);
    assert_eq!(o.status.code(), Some(2));
    let o = run("iconv", &["NO-SUCH-CHARSET", "Cargo.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "iconv: conversion from `NO-SUCH-CHARSET' to `UTF-8' is not supported\n"
    );
}

/// Streaming: with the input on a pipe, output for the first chunks must
/// arrive while the input is still open (a converter that read the whole
/// file first would wait for end of input here and time out).
#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: converting needs glibc gconv modules, which the aarch64 cross libc run by qemu-user here does not have"
)]
fn streams_without_reading_the_whole_input() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    use std::time::Duration;
    let line = b"na\xefve caf\xe9 cr\xe8me br\xfbl\xe9e\n"; // Latin-1
    let utf8_line = "naïve café crème brûlée\n";
    let lines = 20_000; // ~470 KB in, several chunks
    let mut child = examples_support::host::exe_command(examples_support::example("iconv"))
        .args(["LATIN1", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut first = vec![0u8; 64 * 1024];
        let ok = stdout.read_exact(&mut first).is_ok();
        tx.send(ok).unwrap();
        let mut rest = Vec::new();
        stdout.read_to_end(&mut rest).unwrap();
        first.extend(rest);
        first
    });
    // Half the input, input still open: the first 64 KiB of output must come.
    for _ in 0..lines / 2 {
        stdin.write_all(line).unwrap();
    }
    let early = rx.recv_timeout(Duration::from_secs(20));
    for _ in 0..lines / 2 {
        stdin.write_all(line).unwrap();
    }
    drop(stdin);
    let out = reader.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        early,
        Ok(true),
        "no output before the end of input: the file is not streamed"
    );
    assert!(out == utf8_line.repeat(lines).as_bytes(), "streamed output differs");
}
