//! Synchronisation primitives, swapped for loom's model-checked versions under `--cfg loom`.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex};
#[cfg(loom)]
pub(crate) use loom::thread::yield_now;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex};
#[cfg(not(loom))]
pub(crate) use std::thread::yield_now;

/// Spin briefly, then yield: used only while a writer finishes copying a record it reserved.
#[inline]
pub(crate) fn backoff(round: u32) {
    if cfg!(loom) || round > 64 {
        yield_now();
    } else {
        std::hint::spin_loop();
    }
}
