//! Text files: the records are exactly the newline-terminated lines, in order; an
//! unterminated last line is a torn tail at its first byte, never a record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logferry_core::Format;
use logferry_core_fuzz::{read_checked, TrackingAlloc};

#[global_allocator]
static ALLOC: TrackingAlloc = TrackingAlloc;

fuzz_target!(|data: &[u8]| {
    let out = read_checked(data);
    if out.format != Format::Text {
        return; // the file looks framed; framed_reader covers it
    }
    assert!(out.corrupt.is_none(), "a text file cannot be corrupt");
    let mut want = Vec::new();
    let mut at = 0;
    while let Some(i) = data[at..].iter().position(|&b| b == b'\n') {
        want.push(data[at..at + i].to_vec());
        at += i + 1;
    }
    assert_eq!(out.records, want, "records differ from the lines");
    let torn = (at < data.len()).then_some(at as u64);
    assert_eq!(out.torn_tail, torn, "torn tail");
});
