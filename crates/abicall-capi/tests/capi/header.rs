//! `include/abicall.h` is generated from `crates/abicall-capi/src/` by cbindgen (config in
//! `cbindgen.toml`) and committed; this test regenerates it and fails when
//! the committed header is out of date. `ABICALL_BLESS=1` rewrites it.

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen_output() {
    let root = Path::new(crate::ROOT);
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cannot read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        // Only the C API module (and the files it declares), not the whole
        // crate: other modules' public constants are not part of the C API.
        .with_src(root.join("crates/abicall-capi/src/lib.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen failed to generate the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("cbindgen wrote non-UTF-8");
    let path = root.join("include/abicall.h");
    if std::env::var_os("ABICALL_BLESS").is_some_and(|v| v != "0") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "header out of date: run `ABICALL_BLESS=1 cargo test --test capi header::` \
             (first difference at line {} of include/abicall.h)",
            first + 1
        );
    }
}
