//! One shard: two page-aligned buffers, one active, and the lock-free reservation protocol.
//!
//! Each buffer ("slot") has one atomic state word: the reserved offset in the high 32 bits,
//! the SEALED flag in bit 31 and the number of writers still copying in bits 0..31. A writer
//! reserves space and registers itself as in flight in the SAME compare-and-swap, so a flush
//! that waits for the in-flight count to drop to zero can never ship a half-copied record.
//!
//! Invariant: a slot is unsealed only while it is the active slot.
//! Sealing is a `fetch_or`, so exactly one thread wins the right to swap a full slot; the
//! winner activates the other slot only after the flusher has written it out.

use crate::aligned_buf::AlignedBuf;
use crate::config::ALIGN;
use crate::sync::{backoff, AtomicBool, AtomicU64, AtomicUsize, Condvar, Mutex};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

/// Bytes in front of each buffer, used by the file writer to align text data for O_DIRECT.
pub(crate) const HEADROOM: usize = ALIGN;
const SEALED: u64 = 1 << 31;
const INFLIGHT_MASK: u64 = SEALED - 1;
const OFF_SHIFT: u32 = 32;

pub(crate) struct Slot {
    mem: AlignedBuf,
    state: AtomicU64,
    /// True once the slot's contents are on disk and it may become active again.
    flushed: AtomicBool,
    /// End (from the memory's base, page aligned) of the bytes this slot has touched; only the
    /// flusher reads and writes it, to give pages above the limit back to the kernel.
    touched: std::sync::atomic::AtomicUsize,
}

pub(crate) enum Reserve {
    /// Space reserved in `slot` at `off` (relative to the data start).
    Ok { slot: usize, off: usize },
    /// The active slot is sealed: a swap is in progress.
    Sealed(usize),
    /// The active slot has no room for the record.
    Full(usize),
}

#[repr(align(128))]
pub(crate) struct Shard {
    slots: [Slot; 2],
    active: AtomicUsize,
    cap: usize,
    /// Fill level at which a slot is sealed (a memory budget lowers it below `cap`; see
    /// buffer_budget.rs). A record longer than the room left still goes into an empty slot, so
    /// the largest record stays `cap - start`. A plain (unmodelled) atomic: any value from
    /// `start + 1` to `cap` is safe, it only decides when a slot counts as full.
    limit: std::sync::atomic::AtomicUsize,
    start: u64,
    pub(crate) accepted: AtomicU64,
    pub(crate) dropped: AtomicU64,
    wait: Mutex<()>,
    cv: Condvar,
}

impl Shard {
    /// `cap` bytes per buffer; `start` bytes at the head of each buffer are reserved (frame header).
    pub(crate) fn new(cap: usize, start: usize) -> std::io::Result<Self> {
        let slot = |sealed: bool| -> std::io::Result<Slot> {
            Ok(Slot {
                mem: AlignedBuf::new(HEADROOM + cap)?,
                state: AtomicU64::new(
                    ((start as u64) << OFF_SHIFT) | if sealed { SEALED } else { 0 },
                ),
                flushed: AtomicBool::new(sealed),
                touched: std::sync::atomic::AtomicUsize::new(0),
            })
        };
        Ok(Shard {
            slots: [slot(false)?, slot(true)?],
            active: AtomicUsize::new(0),
            cap,
            limit: std::sync::atomic::AtomicUsize::new(cap),
            start: start as u64,
            accepted: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            wait: Mutex::new(()),
            cv: Condvar::new(),
        })
    }

    /// Largest record (encoded) that fits in one buffer.
    pub(crate) fn max_record(&self) -> usize {
        self.cap - self.start as usize
    }

    #[inline]
    pub(crate) fn active(&self) -> usize {
        self.active.load(Acquire)
    }

    /// Tries to reserve `len` bytes in the active slot.
    #[inline]
    pub(crate) fn try_reserve(&self, len: usize) -> Reserve {
        let idx = self.active.load(Acquire);
        let slot = &self.slots[idx];
        let mut s = slot.state.load(Acquire);
        loop {
            if s & SEALED != 0 {
                return Reserve::Sealed(idx);
            }
            let off = (s >> OFF_SHIFT) as usize;
            if off + len > self.cap
                || (off + len > self.limit.load(Relaxed) && off > self.start as usize)
            {
                return Reserve::Full(idx);
            }
            let next = s + ((len as u64) << OFF_SHIFT) + 1;
            match slot.state.compare_exchange_weak(s, next, AcqRel, Acquire) {
                Ok(_) => return Reserve::Ok { slot: idx, off },
                Err(cur) => s = cur,
            }
        }
    }

    /// Pointer to the reserved bytes of a successful reservation.
    #[inline]
    pub(crate) fn data_ptr(&self, slot: usize, off: usize) -> *mut u8 {
        // SAFETY: off + len <= cap was checked at reservation; HEADROOM + cap is allocated.
        unsafe { self.slots[slot].mem.as_ptr().add(HEADROOM + off) }
    }

    /// Publishes that the writer of a reservation has finished copying.
    #[inline]
    pub(crate) fn complete(&self, slot: usize) {
        let _old = self.slots[slot].state.fetch_sub(1, Release);
        #[cfg(loom)]
        assert!(
            _old & INFLIGHT_MASK != 0,
            "complete without reservation on slot {slot}: {}",
            self.debug_state()
        );
    }

    /// Seals slot `x`. Returns the number of bytes it holds if this call sealed it (the
    /// caller then owns the swap), `None` if it was already sealed.
    pub(crate) fn seal(&self, x: usize) -> Option<usize> {
        let old = self.slots[x].state.fetch_or(SEALED, AcqRel);
        if old & SEALED != 0 {
            None
        } else {
            Some((old >> OFF_SHIFT) as usize)
        }
    }

    /// Bytes reserved so far in the active slot (0 if nothing beyond the frame header).
    pub(crate) fn active_fill(&self) -> usize {
        let s = self.slots[self.active()].state.load(Acquire);
        ((s >> OFF_SHIFT) - self.start) as usize
    }

    #[cfg(loom)]
    pub(crate) fn debug_state(&self) -> String {
        format!(
            "slot0 {:x} flushed {} / slot1 {:x} flushed {}",
            self.slots[0].state.load(Acquire),
            self.is_flushed(0),
            self.slots[1].state.load(Acquire),
            self.is_flushed(1)
        )
    }

    /// Bytes accepted into this shard and not on disk yet: every slot not marked flushed, the
    /// active one, one queued, one being written (a sealed slot keeps its offset until activated).
    pub(crate) fn unwritten_bytes(&self) -> u64 {
        self.slots
            .iter()
            .filter(|s| !s.flushed.load(Acquire))
            .map(|s| (s.state.load(Acquire) >> OFF_SHIFT).saturating_sub(self.start))
            .sum()
    }

    pub(crate) fn is_sealed(&self, slot: usize) -> bool {
        self.slots[slot].state.load(Acquire) & SEALED != 0
    }

    pub(crate) fn is_flushed(&self, slot: usize) -> bool {
        self.slots[slot].flushed.load(Acquire)
    }

    /// Makes `y` (flushed, sealed, not active) the active slot. Only the seal winner calls this.
    pub(crate) fn activate(&self, y: usize) {
        debug_assert!(self.is_flushed(y));
        // Publish the index before unsealing: a slot is then unsealed only while it is the
        // active one, so a writer holding a stale index can never win the seal of a slot that
        // is about to be activated (and later activate the wrong buffer).
        #[cfg(loom)]
        assert_eq!(
            self.slots[y].state.load(Acquire) & INFLIGHT_MASK,
            0,
            "activate with writers in flight: {}",
            self.debug_state()
        );
        self.slots[y].flushed.store(false, Relaxed);
        self.active.store(y, Release);
        self.slots[y].state.swap(self.start << OFF_SHIFT, AcqRel);
        self.notify();
    }

    /// Waits until every writer that reserved space in `slot` has finished copying.
    pub(crate) fn wait_writers(&self, slot: usize) {
        let mut round = 0;
        while self.slots[slot].state.load(Acquire) & INFLIGHT_MASK != 0 {
            backoff(round);
            round += 1;
        }
    }

    /// Base of a slot's memory (headroom included) for the file writer.
    pub(crate) fn slot_base(&self, slot: usize) -> *mut u8 {
        self.slots[slot].mem.as_ptr()
    }

    /// Bytes a slot holds before it counts as full (`cap` unless a budget lowered it).
    pub(crate) fn limit(&self) -> usize {
        self.limit.load(Relaxed)
    }

    /// Sets the fill level at which slots are sealed: `bytes` rounded down to the page size,
    /// at least one page, at most `cap`. Pages above it are given back as slots are flushed.
    pub(crate) fn set_limit(&self, bytes: usize) {
        let l = (bytes / ALIGN * ALIGN).clamp(ALIGN.min(self.cap), self.cap);
        self.limit.store(l, Relaxed);
    }

    /// The flusher, after writing `len` bytes of `slot` and before marking it flushed (no
    /// writer can touch it): notes the pages the slot used and returns those above the limit
    /// to the kernel, so a lowered limit lowers the resident memory too.
    pub(crate) fn trim(&self, slot: usize, len: usize) {
        let s = &self.slots[slot];
        let used = (HEADROOM + len).div_ceil(ALIGN) * ALIGN;
        let touched = s.touched.load(Relaxed).max(used);
        let keep = HEADROOM + self.limit();
        if touched > keep {
            s.mem.release(keep, touched - keep);
            s.touched.store(keep, Relaxed);
        } else {
            s.touched.store(touched, Relaxed);
        }
    }

    /// Called by the flusher once a sealed slot is on disk.
    pub(crate) fn mark_flushed(&self, slot: usize) {
        self.slots[slot].flushed.store(true, Release);
        self.notify();
    }

    pub(crate) fn notify(&self) {
        let _g = self.wait.lock().unwrap();
        self.cv.notify_all();
    }

    /// Blocks until `done()` holds or `stop()` holds. Wake-ups come from `notify`.
    pub(crate) fn wait_until(&self, done: impl Fn() -> bool, stop: impl Fn() -> bool) {
        let spins = if cfg!(loom) { 0 } else { 32 };
        for round in 0..spins {
            if done() || stop() {
                return;
            }
            backoff(round);
        }
        let mut g = self.wait.lock().unwrap();
        while !done() && !stop() {
            g = wait_cv(&self.cv, g);
        }
    }
}

#[cfg(not(loom))]
fn wait_cv<'a, T>(cv: &Condvar, g: std::sync::MutexGuard<'a, T>) -> std::sync::MutexGuard<'a, T> {
    // The timeout is a safety net only; every state change is followed by a notify.
    cv.wait_timeout(g, std::time::Duration::from_millis(50))
        .unwrap()
        .0
}

#[cfg(loom)]
fn wait_cv<'a, T>(cv: &Condvar, g: loom::sync::MutexGuard<'a, T>) -> loom::sync::MutexGuard<'a, T> {
    cv.wait(g).unwrap()
}
