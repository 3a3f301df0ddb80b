//! Gives `libabicall_capi.so` a SONAME (`libabicall_capi.so.<major>`) on
//! ELF targets, so programs linked against it record the ABI version they
//! need. (`cargo cinstall` builds `libabicall.so.<major>` with its own
//! SONAME from the `[package.metadata.capi]` section of Cargo.toml.)

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    // cargo-c turns on the `capi` feature and passes its own SONAME.
    let cargo_c = std::env::var_os("CARGO_FEATURE_CAPI").is_some();
    if !cargo_c && matches!(os.as_str(), "linux" | "android" | "freebsd" | "netbsd" | "openbsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libabicall_capi.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
