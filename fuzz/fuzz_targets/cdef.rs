//! Fuzz the declaration parser and layout: any input must give Ok or a
//! located Err, never a panic, hang or overflow; and whatever parses must lay
//! out consistently (offsets within size, alignment a power of two).
#![no_main]

use abicall::{Ffi, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for target in Target::ALL {
        let mut ffi = Ffi::new(target);
        match ffi.cdef(text) {
            Ok(()) => {}
            Err(abicall::Error::Parse { line, col, .. }) => {
                assert!(line >= 1 && col >= 1, "error position must be 1-based");
                let lines = text.split('\n').count() as u32;
                assert!(line <= lines + 1, "error line {line} past the end ({lines} lines)");
            }
            Err(_) => {}
        }
        // Every complete record must have a consistent layout.
        let tags: Vec<_> = ffi.decls().tags.values().copied().collect();
        for id in tags {
            let t = ffi.types();
            if let (Some(rec), Ok((size, align))) = (t.record_of(id), t.size_align(id)) {
                assert!(align.is_power_of_two());
                assert_eq!(size % align, 0, "size must be a multiple of alignment");
                for f in &rec.fields {
                    if let Ok(fs) = t.size_of(f.ty) {
                        if f.bit.is_none() {
                            assert!(f.offset + fs <= size, "member past the end of its record");
                        }
                    }
                }
            }
        }
        // Every type that exists can be walked: printed, sized, classified
        // as an argument (recursive walks, bounded by the nesting limit).
        let t = ffi.types();
        for id in t.ids() {
            assert!(t.depth(id) <= abicall::cdecl::MAX_DEPTH + 1);
            let _ = t.display(id);
            let _ = t.size_align(id);
        }
        drop(t);
        // Type-name parsing on the same input must not panic either.
        let _ = ffi.type_of(text);
    }
});
