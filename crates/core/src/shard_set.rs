//! The shards of one logger, the queue of sealed buffers, and the write / swap / flush protocol.
//! No file I/O here: the flusher passes a sink that writes chunks (the file writer, or a
//! model-checking test's vector).

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::Ordering::{Acquire, Relaxed, SeqCst};

use crate::config::{Format, OnFull, ShardSelection};
use crate::error::{Error, Result};
use crate::frame::{FRAME_HEADER_LEN, RECORD_PREFIX_LEN};
use crate::shard::{Reserve, Shard};
use crate::sync::{yield_now, AtomicBool, AtomicUsize, Condvar, Mutex};

/// Result of a write call that did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Dropped,
}

/// A sealed buffer waiting for the flusher.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ready {
    shard: usize,
    slot: usize,
    len: usize,
}

/// One buffer handed to the sink: `len` bytes at `base + HEADROOM`; the headroom in front
/// of it may be used by the sink.
#[derive(Clone, Copy, Debug)]
pub struct Chunk {
    pub base: *mut u8,
    pub len: usize,
}

/// A batch the sink did not finish: its first `written` chunks are in a file (a rotation in
/// the batch can seal them away before a later chunk fails), the others are not.
#[derive(Debug)]
pub(crate) struct SinkError {
    pub(crate) written: usize,
    pub(crate) error: io::Error,
}

/// Writes one batch of chunks, in order.
pub(crate) type Sink<'a> = dyn FnMut(&[Chunk]) -> Result<(), SinkError> + 'a;

/// What the flusher should do next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Work {
    Batch,
    Flush(u64),
    Interval,
    Close,
}

struct Queue {
    ready: VecDeque<Ready>,
    urgent: usize,
    flush_requested: u64,
    flush_started: u64,
    closing: bool,
}

pub(crate) struct ShardSet {
    shards: Box<[Shard]>,
    format: Format,
    selection: ShardSelection,
    on_full: OnFull,
    threshold: usize,
    rr: AtomicUsize,
    closed: AtomicBool,
    /// Set when close gave up on a failing disk: blocked writers must not wait any longer.
    dead: AtomicBool,
    q: Mutex<Queue>,
    q_cv: Condvar,
}

#[cfg(not(loom))]
std::thread_local! {
    static THREAD_SEQ: usize = {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        NEXT.fetch_add(1, Relaxed)
    };
}

#[cfg(loom)]
loom::thread_local! {
    static THREAD_SEQ: usize = {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        NEXT.fetch_add(1, Relaxed)
    };
}

/// Keeps a reservation's in-flight count honest even if the filler panics: the reserved
/// bytes are blanked so that no garbage reaches the file and the flusher is not blocked.
struct Reservation<'a> {
    shard: &'a Shard,
    slot: usize,
    ptr: *mut u8,
    len: usize,
    format: Format,
    done: bool,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.done {
            // SAFETY: the reservation owns [ptr, ptr+len).
            let s = unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) };
            blank(s, self.format);
        }
        self.shard.complete(self.slot);
    }
}

/// Turns a reserved region into harmless filler records (used only after a panic).
fn blank(s: &mut [u8], format: Format) {
    match format {
        Format::Text => {
            s.fill(b' ');
            if let Some(last) = s.last_mut() {
                *last = b'\n';
            }
        }
        Format::Framed => {
            // One record with an all-zero payload spanning the region.
            s.fill(0);
            if s.len() >= RECORD_PREFIX_LEN {
                let n = (s.len() - RECORD_PREFIX_LEN) as u32;
                s[..RECORD_PREFIX_LEN].copy_from_slice(&n.to_le_bytes());
            }
        }
    }
}

impl ShardSet {
    pub(crate) fn new(
        num_shards: usize,
        cap: usize,
        format: Format,
        selection: ShardSelection,
        on_full: OnFull,
        threshold: usize,
    ) -> io::Result<Self> {
        let start = match format {
            Format::Text => 0,
            Format::Framed => FRAME_HEADER_LEN,
        };
        let shards = (0..num_shards)
            .map(|_| Shard::new(cap, start))
            .collect::<io::Result<Vec<_>>>()?;
        Ok(ShardSet {
            shards: shards.into_boxed_slice(),
            format,
            selection,
            on_full,
            threshold: threshold.max(1),
            rr: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            dead: AtomicBool::new(false),
            q: Mutex::new(Queue {
                ready: VecDeque::new(),
                urgent: 0,
                flush_requested: 0,
                flush_started: 0,
                closing: false,
            }),
            q_cv: Condvar::new(),
        })
    }

    pub(crate) fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// Seals each shard's buffers once they hold `bytes` (see `Shard::set_limit`).
    pub(crate) fn set_shard_limit(&self, bytes: usize) {
        for s in self.shards.iter() {
            s.set_limit(bytes);
        }
    }

    /// Fill level at which shard buffers are sealed.
    pub(crate) fn shard_limit(&self) -> usize {
        self.shards[0].limit()
    }

    /// Largest payload a single record may have.
    pub(crate) fn max_payload(&self) -> usize {
        let m = self.shards[0].max_record();
        match self.format {
            Format::Text => m - 1,
            Format::Framed => m - RECORD_PREFIX_LEN,
        }
    }

    /// Encoded size of a record with a `len`-byte payload (`ends_nl`: payload ends in '\n').
    #[inline]
    pub(crate) fn encoded_len(&self, len: usize, ends_nl: bool) -> usize {
        match self.format {
            Format::Text => len + usize::from(!ends_nl),
            Format::Framed => len + RECORD_PREFIX_LEN,
        }
    }

    #[inline]
    fn pick(&self) -> usize {
        let n = self.shards.len();
        if n == 1 {
            return 0;
        }
        match self.selection {
            ShardSelection::Thread => THREAD_SEQ.with(|s| *s) % n,
            ShardSelection::RoundRobin => self.rr.fetch_add(1, Relaxed) % n,
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Acquire)
    }

    /// Writes one record of `len` payload bytes; `fill` copies the payload into the slice it
    /// is given (exactly `len` bytes). `ends_nl` tells the text format not to add a newline.
    #[inline]
    pub(crate) fn write(
        &self,
        len: usize,
        ends_nl: bool,
        count: u64,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<Outcome> {
        let enc = self.encoded_len(len, ends_nl);
        let format = self.format;
        self.write_encoded(enc, count, move |dst| {
            encode_into(dst, len, format, fill);
        })
    }

    /// Writes several records with one reservation per group that fits in a buffer.
    pub(crate) fn write_many(&self, records: &[&[u8]]) -> Result<(usize, usize)> {
        let limit = (self.shards[0].max_record() / 8).max(1);
        let (mut accepted, mut dropped) = (0, 0);
        let mut i = 0;
        while i < records.len() {
            let first = records[i];
            let first_enc = self.encoded_len(first.len(), first.ends_with(b"\n"));
            if first_enc > self.shards[0].max_record() {
                return Err(Error::RecordTooLarge {
                    size: first.len(),
                    limit: self.max_payload(),
                });
            }
            let mut j = i + 1;
            let mut total = first_enc;
            while j < records.len() {
                let e = self.encoded_len(records[j].len(), records[j].ends_with(b"\n"));
                if total + e > limit {
                    break;
                }
                total += e;
                j += 1;
            }
            let group = &records[i..j];
            let format = self.format;
            match self.write_encoded(total, group.len() as u64, |dst| {
                let mut at = 0;
                for r in group {
                    let e = match format {
                        Format::Text => r.len() + usize::from(!r.ends_with(b"\n")),
                        Format::Framed => r.len() + RECORD_PREFIX_LEN,
                    };
                    encode_into(&mut dst[at..at + e], r.len(), format, |d| {
                        d.copy_from_slice(r)
                    });
                    at += e;
                }
            })? {
                Outcome::Accepted => accepted += group.len(),
                Outcome::Dropped => dropped += group.len(),
            }
            i = j;
        }
        Ok((accepted, dropped))
    }

    fn write_encoded(
        &self,
        enc: usize,
        count: u64,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<Outcome> {
        if self.closed.load(Acquire) {
            return Err(Error::Closed);
        }
        let si = self.pick();
        let shard = &self.shards[si];
        if enc > shard.max_record() {
            return Err(Error::RecordTooLarge {
                size: enc,
                limit: self.max_payload(),
            });
        }
        loop {
            match shard.try_reserve(enc) {
                Reserve::Ok { slot, off } => {
                    let ptr = shard.data_ptr(slot, off);
                    let mut r = Reservation {
                        shard,
                        slot,
                        ptr,
                        len: enc,
                        format: self.format,
                        done: false,
                    };
                    // SAFETY: the reservation gives this writer exclusive use of the region.
                    fill(unsafe { std::slice::from_raw_parts_mut(ptr, enc) });
                    r.done = true;
                    drop(r);
                    shard.accepted.fetch_add(count, Relaxed);
                    return Ok(Outcome::Accepted);
                }
                Reserve::Sealed(x) => {
                    if let Some(r) = self.cannot_wait(shard, x, count) {
                        return r;
                    }
                    shard.wait_until(
                        || shard.active() != x || !shard.is_sealed(x) || self.closed.load(Acquire),
                        || self.dead.load(Acquire),
                    );
                    if self.dead.load(Acquire) {
                        return Err(Error::Closed);
                    }
                }
                Reserve::Full(x) => {
                    if let Some(r) = self.cannot_wait(shard, x, count) {
                        return r;
                    }
                    if let Some(len) = shard.seal(x) {
                        self.complete_swap(si, x, len)?;
                    }
                }
            }
        }
    }

    /// The slow path's verdict before waiting for a swap: refused when closed, dropped in
    /// drop mode when the shard's other buffer is still waiting for the disk.
    fn cannot_wait(&self, shard: &Shard, x: usize, count: u64) -> Option<Result<Outcome>> {
        if self.closed.load(Acquire) {
            return Some(Err(Error::Closed));
        }
        if self.on_full == OnFull::Drop && !shard.is_flushed(1 - x) {
            shard.dropped.fetch_add(count, Relaxed);
            return Some(Ok(Outcome::Dropped));
        }
        None
    }

    /// The seal winner's part of a swap: queue the sealed buffer, wait until the other one
    /// is on disk, then activate it.
    fn complete_swap(&self, si: usize, x: usize, len: usize) -> Result<()> {
        let shard = &self.shards[si];
        let y = 1 - x;
        let must_wait = !shard.is_flushed(y);
        {
            let mut q = self.q.lock().unwrap();
            q.ready.push_back(Ready {
                shard: si,
                slot: x,
                len,
            });
            if must_wait {
                q.urgent += 1;
            }
            self.q_cv.notify_all();
        }
        if must_wait {
            shard.wait_until(|| shard.is_flushed(y), || self.dead.load(Acquire));
            self.q.lock().unwrap().urgent -= 1;
            if !shard.is_flushed(y) {
                return Err(Error::Closed);
            }
        }
        shard.activate(y);
        Ok(())
    }

    /// Number of ready shards that triggers a batch, given how many shards are in use.
    fn batch_due(&self, q: &Queue) -> bool {
        if q.ready.is_empty() {
            return false;
        }
        if q.urgent > 0 {
            return true;
        }
        let mut ready = vec![false; self.shards.len()];
        for r in &q.ready {
            ready[r.shard] = true;
        }
        let n_ready = ready.iter().filter(|&&b| b).count();
        let in_use = self
            .shards
            .iter()
            .enumerate()
            .filter(|(i, s)| ready[*i] || s.active_fill() > 0)
            .count();
        n_ready >= self.threshold.min(in_use.max(1))
    }

    /// Blocks the flusher until there is something to do or `deadline` passes (under loom
    /// there is no clock: it waits for a notification).
    pub(crate) fn wait_work(&self, deadline: std::time::Instant) -> Work {
        let mut q = self.q.lock().unwrap();
        loop {
            if q.closing {
                return Work::Close;
            }
            if q.flush_requested > q.flush_started {
                q.flush_started = q.flush_requested;
                return Work::Flush(q.flush_requested);
            }
            if self.batch_due(&q) {
                return Work::Batch;
            }
            #[cfg(not(loom))]
            {
                let now = std::time::Instant::now();
                if now >= deadline {
                    return Work::Interval;
                }
                q = self.q_cv.wait_timeout(q, deadline - now).unwrap().0;
            }
            #[cfg(loom)]
            {
                let _ = deadline;
                q = self.q_cv.wait(q).unwrap();
            }
        }
    }

    /// Asks the flusher to write everything accepted so far; returns the request number.
    pub(crate) fn request_flush(&self) -> u64 {
        let mut q = self.q.lock().unwrap();
        q.flush_requested += 1;
        self.q_cv.notify_all();
        q.flush_requested
    }

    /// Stops accepting records and asks the flusher to write everything and stop.
    pub(crate) fn request_close(&self) {
        self.closed.store(true, SeqCst);
        let mut q = self.q.lock().unwrap();
        q.closing = true;
        self.q_cv.notify_all();
        drop(q);
        for s in self.shards.iter() {
            s.notify();
        }
    }

    /// Releases writers blocked on a disk that close gave up on.
    pub(crate) fn abandon(&self) {
        self.dead.store(true, SeqCst);
        for s in self.shards.iter() {
            s.notify();
        }
    }

    pub(crate) fn has_ready(&self) -> bool {
        !self.q.lock().unwrap().ready.is_empty()
    }

    /// Bytes accepted and not yet written: queued, in the batch being written (retried) and in
    /// the active buffers (the queue alone misses the last two, which ERR_UNFLUSHED must count).
    pub(crate) fn pending_bytes(&self) -> u64 {
        self.shards.iter().map(|s| s.unwritten_bytes()).sum()
    }

    /// Writes every queued buffer through `sink` (one call for the whole batch). On error the
    /// chunks the sink wrote count as flushed (they are in a file), the others go back to the
    /// head of the queue, untouched, and the error is returned.
    pub(crate) fn flush_batch(&self, sink: &mut Sink<'_>) -> io::Result<usize> {
        let batch: Vec<Ready> = {
            let mut q = self.q.lock().unwrap();
            q.ready.drain(..).collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let mut chunks = Vec::with_capacity(batch.len());
        for r in &batch {
            let shard = &self.shards[r.shard];
            shard.wait_writers(r.slot);
            chunks.push(Chunk {
                base: shard.slot_base(r.slot),
                len: r.len,
            });
        }
        let (written, res) = match sink(&chunks) {
            Ok(()) => (batch.len(), Ok(batch.len())),
            Err(SinkError { written, error }) => (written.min(batch.len()), Err(error)),
        };
        let (done, rest) = batch.split_at(written);
        if !rest.is_empty() {
            let mut q = self.q.lock().unwrap();
            for r in rest.iter().rev() {
                q.ready.push_front(*r);
            }
        }
        for r in done {
            let shard = &self.shards[r.shard];
            shard.trim(r.slot, r.len);
            shard.mark_flushed(r.slot);
        }
        res
    }

    /// Moves the data of every active buffer into the queue (the flusher's periodic and
    /// on-request swap). Writes queued buffers through `sink` when a swap needs them on disk.
    pub(crate) fn swap_all(&self, sink: &mut Sink<'_>) -> io::Result<()> {
        for (si, shard) in self.shards.iter().enumerate() {
            loop {
                let x = shard.active();
                if shard.active_fill() == 0 {
                    break;
                }
                let y = 1 - x;
                if !shard.is_flushed(y) {
                    self.flush_batch(sink)?;
                    continue;
                }
                match shard.seal(x) {
                    Some(len) => {
                        self.q.lock().unwrap().ready.push_back(Ready {
                            shard: si,
                            slot: x,
                            len,
                        });
                        // Another swap can have raced us to `y` between the check and the seal.
                        while !shard.is_flushed(y) {
                            self.flush_batch(sink)?;
                            yield_now();
                        }
                        shard.activate(y);
                        break;
                    }
                    None => {
                        // A writer is swapping (or activating `x` right now): its old buffer is
                        // (being) queued. Help it finish, then look again.
                        while shard.active() == x && shard.is_sealed(x) {
                            self.flush_batch(sink)?;
                            yield_now();
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Seals every shard for good and queues what it holds (close). Requires `request_close`.
    pub(crate) fn seal_all(&self, sink: &mut Sink<'_>) -> io::Result<()> {
        for (si, shard) in self.shards.iter().enumerate() {
            #[cfg(loom)]
            let mut spins = 0;
            loop {
                let x = shard.active();
                match shard.seal(x) {
                    Some(len) => {
                        self.q.lock().unwrap().ready.push_back(Ready {
                            shard: si,
                            slot: x,
                            len,
                        });
                        break;
                    }
                    None => {
                        // A swap is in flight; it needs its other buffer written to finish.
                        if shard.active() == x {
                            #[cfg(loom)]
                            {
                                spins += 1;
                                if spins > 50 {
                                    panic!("seal_all stuck: active {x} {}", shard.debug_state());
                                }
                            }
                            self.flush_batch(sink)?;
                            yield_now();
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[inline]
fn encode_into(dst: &mut [u8], len: usize, format: Format, fill: impl FnOnce(&mut [u8])) {
    match format {
        Format::Text => {
            fill(&mut dst[..len]);
            if dst.len() > len {
                dst[len] = b'\n';
            }
        }
        Format::Framed => {
            dst[..RECORD_PREFIX_LEN].copy_from_slice(&(len as u32).to_le_bytes());
            fill(&mut dst[RECORD_PREFIX_LEN..RECORD_PREFIX_LEN + len]);
        }
    }
}
