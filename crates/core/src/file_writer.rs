//! Writes batches of buffers to the log file: one `pwritev` per batch, O_DIRECT where the
//! filesystem allows it, preallocation that never shows as a zero tail, size-based rotation
//! with unique sealed names.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::aligned_buf::AlignedBuf;
use crate::config::{Config, Format, SealedCallback, ALIGN};
use crate::frame::{count_records, padded, BlockHeader, FRAME_HEADER_LEN};
use crate::sealed_name::sealed_path;
use crate::shard::HEADROOM;
use crate::shard_set::{Chunk, SinkError};

/// Time spent in the last batch, for the flush metrics.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct BatchTiming {
    pub write: Duration,
    pub pwritev: Duration,
}

pub(crate) struct FileWriter {
    path: PathBuf,
    format: Format,
    want_direct: bool,
    direct: Option<File>,
    buffered: File,
    /// Logical size of the current file: every byte handed to the writer and laid out.
    pos: u64,
    /// Bytes at the start of the current file known to be on disk, `<= pos`. Only the partial
    /// last block held in `carry` (text + O_DIRECT) makes it smaller, until `write_tail`.
    disk_len: u64,
    /// Bytes of the files this writer sealed by rotation (their final sizes).
    sealed_bytes: u64,
    /// Bytes of the last, partial block (text + O_DIRECT): also written buffered at `pos - carry_len`.
    carry: AlignedBuf,
    carry_len: usize,
    seq: u64,
    max_file_size: u64,
    /// Most a file may have reserved: `min(preallocate_file_size, max_file_size)`.
    prealloc_limit: u64,
    /// End of the current file's reservation (`fallocate` KEEP_SIZE), 0 when none.
    reserved: u64,
    on_sealed: Option<SealedCallback>,
    pub(crate) rotations: u64,
    /// Sealed files not yet announced (announced by the flusher outside the write path).
    sealed: Vec<PathBuf>,
    /// The old file is sealed but the new one is not open yet (a rotation being retried).
    reopen_pending: bool,
}

// The raw pointers in a plan are only used by the flusher thread that owns the writer.
unsafe impl Send for FileWriter {}

/// One prepared write. Preparing changes no state of the writer (only the chunks' memory):
/// the new carry and sequence number are taken over by `commit` once the write succeeded, so
/// a write that is given up leaves the writer describing exactly what is on disk.
struct Plan {
    iov: Vec<libc::iovec>,
    /// File offset of the first iovec.
    at: u64,
    /// Bytes in `iov` (whole blocks with O_DIRECT).
    body: u64,
    /// The new partial last block (text + O_DIRECT): `tail` bytes at `tail_ptr`, which points
    /// into the last chunk's memory or at `carry` itself; it belongs at `at + body`.
    tail: usize,
    tail_ptr: *const u8,
    /// Framed: the sequence number of the next block after this write.
    next_seq: u64,
}

impl FileWriter {
    /// Opens the log file. A non-empty file left at the path is sealed first and announced
    /// with the first `announce()`.
    pub(crate) fn open(cfg: &Config) -> io::Result<Self> {
        let path = cfg.log_file_path.clone();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        // A non-empty file left by an earlier run (a crash, or a logger that was never
        // closed) is sealed as it is, never appended to or overwritten.
        let mut recovered = Vec::new();
        if let Ok(md) = fs::metadata(&path) {
            if md.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "log file path is a directory",
                ));
            }
            if md.len() > 0 {
                recovered.push(seal_rename(&path)?);
            }
        }
        let (buffered, direct) = open_files(&path, cfg.direct_io)?;
        let w = FileWriter {
            path,
            format: cfg.format,
            want_direct: cfg.direct_io,
            direct,
            buffered,
            pos: 0,
            disk_len: 0,
            sealed_bytes: 0,
            carry: AlignedBuf::new(ALIGN)?,
            carry_len: 0,
            seq: 0,
            max_file_size: cfg.max_file_size,
            prealloc_limit: cfg.preallocate_file_size.min(cfg.max_file_size),
            reserved: 0,
            on_sealed: cfg.on_sealed.clone(),
            rotations: 0,
            sealed: recovered,
            reopen_pending: false,
        };
        Ok(w)
    }

    /// Reserves disk ahead of the write position, in steps that follow the file's growth:
    /// never past `prealloc_limit`, never more ahead than the file already holds, at most
    /// `PREALLOC_STEP` ahead (docs/engine.md "Preallocation"). So a file with one line reserves
    /// nothing and many idle loggers cannot fill a disk with reservations; a busy file gets
    /// `PREALLOC_STEP` extents. Called after every write; a call that reserves is one
    /// `fallocate` per half step written at most.
    fn reserve_ahead(&mut self) {
        let (start, end) = match reservation_step(self.pos, self.reserved, self.prealloc_limit) {
            Some(r) => r,
            None => return,
        };
        // Reserved or not, the step is not retried before the file grows again: a full disk
        // refuses it, and failure only costs speed.
        self.reserved = end;
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // KEEP_SIZE: blocks are reserved but the file size only grows with real data,
            // so a crash never leaves a zero-filled tail.
            // SAFETY: plain syscall on an open descriptor.
            unsafe {
                libc::fallocate(
                    self.buffered.as_raw_fd(),
                    libc::FALLOC_FL_KEEP_SIZE,
                    start as libc::off_t,
                    (end - start) as libc::off_t,
                );
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = start;
    }

    /// Writes a batch. `on_error` is told of each failed attempt and says whether to retry
    /// (after its own pause). Each attempt is idempotent. If `on_error` gives up, the error is
    /// returned with the number of leading chunks that are in a file (written before a
    /// rotation, or before the rotation that failed), and the writer must not be given the
    /// same batch again (its layout was already prepared): the logger only gives up when
    /// close runs out of time.
    pub(crate) fn write_batch(
        &mut self,
        chunks: &[Chunk],
        on_error: &mut dyn FnMut(&io::Error) -> bool,
    ) -> Result<BatchTiming, SinkError> {
        let failed = |written: usize| move |error: io::Error| SinkError { written, error };
        let t0 = Instant::now();
        let mut timing = BatchTiming::default();
        let mut i = 0;
        while i < chunks.len() {
            // Group the chunks that fit in the current file.
            let mut j = i;
            let mut size = self.pos;
            while j < chunks.len() {
                let len = self.disk_len(&chunks[j]);
                if size > 0 && size + len > self.max_file_size {
                    break;
                }
                size += len;
                j += 1;
            }
            if j == i {
                self.retry(on_error, |w| w.rotate()).map_err(failed(i))?;
                continue;
            }
            let plan = self.prepare(&chunks[i..j]);
            match self.retry(on_error, |w| w.execute(&plan)) {
                Ok(d) => timing.pwritev += d,
                Err(e) => {
                    // Given up: a write cut short may have left part of the batch in the
                    // file; cut it off so the file ends where the writer's state says.
                    let _ = self.buffered.set_len(self.disk_len);
                    return Err(failed(i)(e));
                }
            }
            self.commit(&plan);
            self.reserve_ahead();
            if self.pos >= self.max_file_size {
                self.retry(on_error, |w| w.rotate()).map_err(failed(j))?;
            }
            i = j;
        }
        timing.write = t0.elapsed();
        Ok(timing)
    }

    pub(crate) fn retry<T>(
        &mut self,
        on_error: &mut dyn FnMut(&io::Error) -> bool,
        mut op: impl FnMut(&mut Self) -> io::Result<T>,
    ) -> io::Result<T> {
        loop {
            match op(self) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    if !on_error(&e) {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Bytes a chunk adds to the file.
    fn disk_len(&self, c: &Chunk) -> u64 {
        match self.format {
            Format::Text => c.len as u64,
            Format::Framed if c.len <= FRAME_HEADER_LEN => 0,
            Format::Framed => padded(c.len) as u64,
        }
    }

    /// Lays the chunks out for one vectored write. Text + O_DIRECT: the partial block left by
    /// the previous batch is placed in front of the first chunk (moving its data inside the
    /// buffer, which has headroom for that), and each chunk's partial last block in front of
    /// the next one, so every iovec is block aligned; the new partial block is left where it
    /// is for `commit`. Framed: fills each block header and zero padding.
    fn prepare(&self, chunks: &[Chunk]) -> Plan {
        let mut iov = Vec::with_capacity(chunks.len());
        let mut body = 0u64;
        let mut plan = Plan {
            iov: Vec::new(),
            at: self.pos,
            body: 0,
            tail: 0,
            tail_ptr: self.carry.as_ptr(),
            next_seq: self.seq,
        };
        match self.format {
            Format::Framed => {
                for c in chunks.iter().filter(|c| c.len > FRAME_HEADER_LEN) {
                    // SAFETY: the chunk's buffer holds HEADROOM + cap bytes, cap a multiple of
                    // 4096 and >= c.len, so the padded block fits.
                    let block = unsafe { c.base.add(HEADROOM) };
                    let total = padded(c.len);
                    let payload = unsafe {
                        std::slice::from_raw_parts(
                            block.add(FRAME_HEADER_LEN),
                            c.len - FRAME_HEADER_LEN,
                        )
                    };
                    let records = count_records(payload).unwrap_or(0);
                    let h = BlockHeader {
                        seq: plan.next_seq,
                        payload_len: payload.len() as u32,
                        records,
                        payload_crc: crc32c::crc32c(payload),
                    };
                    plan.next_seq += 1;
                    unsafe {
                        std::ptr::copy_nonoverlapping(h.encode().as_ptr(), block, FRAME_HEADER_LEN);
                        std::ptr::write_bytes(block.add(c.len), 0, total - c.len);
                    }
                    iov.push(libc::iovec {
                        iov_base: block as *mut libc::c_void,
                        iov_len: total,
                    });
                    body += total as u64;
                }
            }
            Format::Text if self.direct.is_none() => {
                for c in chunks.iter().filter(|c| c.len > 0) {
                    let p = unsafe { c.base.add(HEADROOM) };
                    iov.push(libc::iovec {
                        iov_base: p as *mut libc::c_void,
                        iov_len: c.len,
                    });
                    body += c.len as u64;
                }
            }
            Format::Text => {
                plan.at = self.pos - self.carry_len as u64;
                // The partial block that goes in front of the next chunk.
                let mut prev: *const u8 = self.carry.as_ptr();
                let mut prev_len = self.carry_len;
                for c in chunks.iter().filter(|c| c.len > 0) {
                    let region = if prev_len == 0 {
                        unsafe { c.base.add(HEADROOM) }
                    } else {
                        // SAFETY: [base, base + HEADROOM + len) is the chunk's memory; the
                        // move goes left by HEADROOM - prev_len bytes (overlap handled by
                        // copy). `prev` is in `carry` or in the previous chunk, never here.
                        unsafe {
                            std::ptr::copy(c.base.add(HEADROOM), c.base.add(prev_len), c.len);
                            std::ptr::copy_nonoverlapping(prev, c.base, prev_len);
                        }
                        c.base
                    };
                    let total = prev_len + c.len;
                    let full = total / ALIGN * ALIGN;
                    if full > 0 {
                        iov.push(libc::iovec {
                            iov_base: region as *mut libc::c_void,
                            iov_len: full,
                        });
                        body += full as u64;
                    }
                    prev = unsafe { region.add(full) };
                    prev_len = total - full;
                }
                plan.tail = prev_len;
                plan.tail_ptr = prev;
            }
        }
        plan.iov = iov;
        plan.body = body;
        plan
    }

    /// Performs a prepared write; returns the time spent in the vectored write. Changes no
    /// layout state, so it can be repeated after a failure.
    fn execute(&mut self, plan: &Plan) -> io::Result<Duration> {
        let t = Instant::now();
        if !plan.iov.is_empty() {
            let res = match &self.direct {
                Some(f) => write_all_at(f, &plan.iov, plan.at),
                None => write_all_at(&self.buffered, &plan.iov, plan.at),
            };
            match res {
                Ok(()) => {}
                // The filesystem refuses this direct write (also what a direct write resumed
                // at an unaligned offset after a short write gets): go buffered for good.
                Err(e) if self.direct.is_some() && e.raw_os_error() == Some(libc::EINVAL) => {
                    self.direct = None;
                    write_all_at(&self.buffered, &plan.iov, plan.at)?;
                }
                Err(e) => return Err(e),
            }
        }
        let d = t.elapsed();
        if self.direct.is_none() && plan.tail > 0 {
            // Fell back to buffered I/O: the new partial block goes to disk now, right behind
            // the body (no carry from here on).
            let iov = [libc::iovec {
                iov_base: plan.tail_ptr as *mut libc::c_void,
                iov_len: plan.tail,
            }];
            write_all_at(&self.buffered, &iov, plan.at + plan.body)?;
        }
        Ok(d)
    }

    /// Takes over the state of a write that succeeded.
    fn commit(&mut self, plan: &Plan) {
        let end = plan.at + plan.body + plan.tail as u64;
        self.seq = plan.next_seq;
        if self.direct.is_none() {
            // Buffered (or fell back to it): everything is on disk.
            self.carry_len = 0;
            self.disk_len = end;
        } else {
            if plan.tail > 0 && !std::ptr::eq(plan.tail_ptr, self.carry.as_ptr()) {
                // SAFETY: the tail lies in the last chunk, still owned by this batch.
                unsafe {
                    std::ptr::copy_nonoverlapping(plan.tail_ptr, self.carry.as_ptr(), plan.tail)
                };
            }
            self.carry_len = plan.tail;
            // Whole blocks are on disk up to `at + body`; a tail written before stays valid
            // when this write added no whole block.
            self.disk_len = self.disk_len.max(plan.at + plan.body).min(end);
        }
        self.pos = end;
    }

    /// Writes the partial last block kept in `carry` (text + O_DIRECT) through the buffered
    /// descriptor. Batches leave it in memory, so direct writes never overlap a dirty cached
    /// page; flush requests, the interval timer, rotation and close put it on disk.
    pub(crate) fn write_tail(&mut self) -> io::Result<()> {
        if self.disk_len == self.pos {
            return Ok(());
        }
        let at = self.pos - self.carry_len as u64;
        let iov = [libc::iovec {
            iov_base: self.carry.as_ptr() as *mut libc::c_void,
            iov_len: self.carry_len,
        }];
        write_all_at(&self.buffered, &iov, at)?;
        self.disk_len = self.pos;
        Ok(())
    }

    /// Bytes this writer put in log files that are there now: the files it sealed and what
    /// of the current file is on disk (`stats().bytes_written`).
    pub(crate) fn bytes_written(&self) -> u64 {
        if self.reopen_pending {
            // The current file was sealed and counted; the next one is not open yet.
            return self.sealed_bytes;
        }
        self.sealed_bytes + self.disk_len
    }

    /// Bytes handed to the writer (their buffers count as flushed) that are not on disk: the
    /// partial last block waiting for `write_tail`.
    pub(crate) fn unwritten(&self) -> u64 {
        self.pos - self.disk_len
    }

    /// The end of a write that is given up for good (close ran out of time): one last try of
    /// the partial block, then the file is cut to the last complete record on disk, so it
    /// never ends in a torn record. Returns the bytes handed to the writer that are not in
    /// the file; after this the writer holds nothing unwritten.
    pub(crate) fn give_up(&mut self) -> u64 {
        let _ = self.write_tail();
        let mut keep = self.disk_len;
        if keep < self.pos && self.format == Format::Text {
            // The file ends inside the record the partial block finishes.
            keep = last_line_end(&self.buffered, keep).unwrap_or(0);
        }
        let _ = self.buffered.set_len(keep);
        let _ = self.buffered.sync_data();
        let lost = self.pos - keep;
        self.pos = keep;
        self.disk_len = keep;
        self.carry_len = 0;
        lost
    }

    /// Makes the current file durable at its exact size.
    fn finish_file(&mut self) -> io::Result<()> {
        self.write_tail()?;
        self.buffered.sync_data()?;
        // Growing then shrinking frees the preallocated blocks past the end on every filesystem.
        self.buffered.set_len(self.pos + 1)?;
        self.buffered.set_len(self.pos)?;
        self.buffered.sync_all()?;
        Ok(())
    }

    /// Seals the current file under a unique name and starts a new one.
    fn rotate(&mut self) -> io::Result<()> {
        if !self.reopen_pending {
            self.finish_file()?;
            let sealed = seal_rename(&self.path)?;
            self.sealed.push(sealed);
            self.sealed_bytes += self.pos;
            self.reopen_pending = true;
        }
        let (buffered, direct) = open_files(&self.path, self.want_direct && self.direct.is_some())?;
        self.buffered = buffered;
        self.direct = direct;
        self.pos = 0;
        self.disk_len = 0;
        self.carry_len = 0;
        self.seq = 0;
        self.rotations += 1;
        self.reopen_pending = false;
        self.reserved = 0;
        Ok(())
    }

    /// Final step of close: fsync, exact size, seal (an empty file is removed instead).
    pub(crate) fn close(&mut self) -> io::Result<Option<PathBuf>> {
        self.finish_file()?;
        if self.pos == 0 {
            fs::remove_file(&self.path)?;
            return Ok(None);
        }
        let sealed = seal_rename(&self.path)?;
        self.sealed.push(sealed.clone());
        Ok(Some(sealed))
    }

    /// Announces sealed files to the callback.
    pub(crate) fn announce(&mut self) {
        for p in self.sealed.drain(..) {
            if let Some(cb) = &self.on_sealed {
                let cb = cb.clone();
                let p2 = p.clone();
                // A panicking callback must not take the flusher down.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(&p2)));
            }
        }
    }
}

/// Largest step a file's reservation grows by (and most it is ever ahead of the data).
pub(crate) const PREALLOC_STEP: u64 = 64 << 20;
/// Files smaller than this reserve nothing (a reservation saves nothing at that size).
const PREALLOC_MIN_FILE: u64 = 1 << 20;

/// The range to reserve next for a file of `pos` bytes with `reserved` bytes reserved, or None.
/// The wanted end is `pos + min(pos, PREALLOC_STEP)`, capped by `limit`; a step is taken once
/// less than half of that lead remains, so the reservation of a file is at most its size again
/// and at most `PREALLOC_STEP` past it.
fn reservation_step(pos: u64, reserved: u64, limit: u64) -> Option<(u64, u64)> {
    if pos < PREALLOC_MIN_FILE || pos >= limit {
        return None;
    }
    let lead = pos.min(PREALLOC_STEP);
    if reserved >= (pos + lead / 2).min(limit) {
        return None;
    }
    let start = reserved.max(pos);
    let end = (pos + lead).min(limit);
    (end > start).then_some((start, end))
}

fn open_files(path: &Path, want_direct: bool) -> io::Result<(File, Option<File>)> {
    let buffered = OpenOptions::new()
        .write(true)
        .read(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    let direct = if want_direct { open_direct(path) } else { None };
    Ok((buffered, direct))
}

#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // tmpfs and some others refuse O_DIRECT: the buffered descriptor is used then.
    OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_path: &Path) -> Option<File> {
    None
}

/// Renames `path` to a sealed name that no other file has (never overwriting one).
fn seal_rename(path: &Path) -> io::Result<PathBuf> {
    let now = std::time::SystemTime::now();
    for n in 0..100_000u32 {
        let target = sealed_path(path, now, n);
        match rename_noreplace(path, &target) {
            Ok(()) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    if let Ok(d) = File::open(dir) {
                        let _ = d.sync_all();
                    }
                }
                return Ok(target);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free sealed file name",
    ))
}

#[cfg(target_os = "linux")]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let f = CString::new(from.as_os_str().as_bytes())?;
    let t = CString::new(to.as_os_str().as_bytes())?;
    // SAFETY: valid C strings; renameat2 with RENAME_NOREPLACE is atomic and never overwrites.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            f.as_ptr(),
            libc::AT_FDCWD,
            t.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EINVAL) || e.raw_os_error() == Some(libc::ENOSYS) {
        return link_rename(from, to);
    }
    Err(e)
}

#[cfg(not(target_os = "linux"))]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    link_rename(from, to)
}

fn link_rename(from: &Path, to: &Path) -> io::Result<()> {
    fs::hard_link(from, to)?;
    fs::remove_file(from)
}

/// The end of the last complete line in the first `len` bytes of a text file (0 if none).
fn last_line_end(f: &File, len: u64) -> io::Result<u64> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; 64 << 10];
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let part = &mut buf[..(end - start) as usize];
        f.read_exact_at(part, start)?;
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Writes every byte of `iov` at `offset`, resuming after short writes and EINTR.
fn write_all_at(f: &File, iov: &[libc::iovec], offset: u64) -> io::Result<()> {
    let total: usize = iov.iter().map(|v| v.iov_len).sum();
    let mut done = 0usize;
    let mut local: Vec<libc::iovec> = Vec::new();
    while done < total {
        // Rebuild the remaining vector after a short write.
        let rest: &[libc::iovec] = if done == 0 {
            iov
        } else {
            local.clear();
            let mut skip = done;
            for v in iov {
                if skip >= v.iov_len {
                    skip -= v.iov_len;
                    continue;
                }
                local.push(libc::iovec {
                    iov_base: unsafe { (v.iov_base as *mut u8).add(skip) } as *mut libc::c_void,
                    iov_len: v.iov_len - skip,
                });
                skip = 0;
            }
            &local
        };
        let n = pwritev(f, rest, offset + done as u64)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "pwritev wrote 0 bytes",
            ));
        }
        done += n;
    }
    Ok(())
}

#[cfg(unix)]
fn pwritev(f: &File, iov: &[libc::iovec], offset: u64) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let max = 1024usize; // IOV_MAX on Linux and macOS
    let iov = &iov[..iov.len().min(max)];
    loop {
        // SAFETY: iovecs point into live buffers owned by the caller for the call's duration.
        let n = unsafe {
            libc::pwritev(
                f.as_raw_fd(),
                iov.as_ptr(),
                iov.len() as libc::c_int,
                offset as libc::off_t,
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{reservation_step, PREALLOC_MIN_FILE, PREALLOC_STEP};

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;

    /// Follows a file growing by `chunk` up to `size`; returns the largest reservation seen
    /// past the data, the end reserved, and the number of steps taken.
    fn grow(size: u64, chunk: u64, limit: u64) -> (u64, u64, u32) {
        let (mut pos, mut reserved, mut ahead, mut steps) = (0, 0, 0u64, 0);
        while pos < size {
            pos = (pos + chunk).min(size);
            if let Some((start, end)) = reservation_step(pos, reserved, limit) {
                assert!(start >= pos && end > start);
                reserved = end;
                steps += 1;
            }
            ahead = ahead.max(reserved.saturating_sub(pos));
        }
        (ahead, reserved, steps)
    }

    #[test]
    fn a_small_file_reserves_nothing() {
        assert_eq!(reservation_step(100, 0, GIB), None);
        assert_eq!(reservation_step(PREALLOC_MIN_FILE - 1, 0, GIB), None);
    }

    #[test]
    fn the_reservation_follows_the_data_in_bounded_steps() {
        let (ahead, reserved, steps) = grow(GIB - MIB, 4 * MIB, GIB);
        assert!(ahead <= PREALLOC_STEP, "reserved {ahead} bytes ahead");
        assert!(reserved <= GIB);
        // Doubling to the step, then one step per half step written.
        assert!(
            steps <= 8 + (GIB / (PREALLOC_STEP / 2)) as u32,
            "{steps} steps"
        );
        for pos in [MIB, 3 * MIB, 40 * MIB] {
            let (_, end) = reservation_step(pos, 0, GIB).unwrap();
            assert!(
                end - pos <= pos,
                "a file of {pos} bytes reserved {} ahead",
                end - pos
            );
        }
    }

    #[test]
    fn never_past_the_limit() {
        let limit = 4 * MIB;
        let (_, reserved, _) = grow(limit, 64 << 10, limit);
        assert!(reserved <= limit);
        assert_eq!(reservation_step(limit, 0, limit), None);
        assert_eq!(reservation_step(3 * MIB, 0, limit), Some((3 * MIB, limit)));
    }
}
