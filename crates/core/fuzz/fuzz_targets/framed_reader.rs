//! Any bytes at all as a log file (the format is detected from them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logferry_core_fuzz::{read_checked, TrackingAlloc};

#[global_allocator]
static ALLOC: TrackingAlloc = TrackingAlloc;

fuzz_target!(|data: &[u8]| {
    read_checked(data);
});
