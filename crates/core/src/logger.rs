//! A logger: the shard set plus the flusher thread that owns the file writer.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::file_writer::FileWriter;
use crate::shard_set::{Chunk, Outcome, ShardSet, Sink, SinkError, Work};
use crate::stats::{FlushCounters, RawFlush, Stats};

struct Done {
    flushed: u64,
    failed: Option<String>,
    closed: bool,
}

struct Inner {
    set: ShardSet,
    cfg: Config,
    counters: FlushCounters,
    done: Mutex<Done>,
    done_cv: Condvar,
    close_requested: Mutex<Option<Instant>>,
}

/// A lossless, lock-free sharded double-buffer file logger.
pub struct Logger {
    inner: Arc<Inner>,
    flusher: Mutex<Option<JoinHandle<Result<()>>>>,
    close_result: Mutex<Option<std::result::Result<(), (&'static str, String)>>>,
    path: PathBuf,
}

impl Logger {
    /// Opens the file, allocates the buffers and starts the flusher thread.
    pub fn new(cfg: Config) -> Result<Logger> {
        cfg.validate()?;
        let cap = cfg.shard_buffer_size();
        let set = ShardSet::new(
            cfg.num_shards,
            cap,
            cfg.format,
            cfg.shard_selection,
            cfg.on_full,
            cfg.flush_threshold(),
        )
        .map_err(|e| Error::io(&cfg.log_file_path, "allocate buffers for", e))?;
        let mut writer =
            FileWriter::open(&cfg).map_err(|e| Error::io(&cfg.log_file_path, "open", e))?;
        let path = cfg.log_file_path.clone();
        let inner = Arc::new(Inner {
            set,
            cfg,
            counters: FlushCounters::default(),
            done: Mutex::new(Done {
                flushed: 0,
                failed: None,
                closed: false,
            }),
            done_cv: Condvar::new(),
            close_requested: Mutex::new(None),
        });
        let i2 = inner.clone();
        let handle = std::thread::Builder::new()
            .name("logferry-flush".into())
            .spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_flusher(&i2, &mut writer)
                }));
                let r = r.unwrap_or_else(|_| {
                    Err(Error::Unflushed {
                        bytes: i2.set.pending_bytes() + i2.counters.unwritten.load(Relaxed),
                        source: io::Error::other("flusher panicked"),
                    })
                });
                i2.set.abandon();
                let mut d = i2.done.lock().unwrap();
                d.closed = true;
                i2.done_cv.notify_all();
                r
            })
            .map_err(|e| Error::io(&path, "start flusher for", e))?;
        Ok(Logger {
            inner,
            flusher: Mutex::new(Some(handle)),
            close_result: Mutex::new(None),
            path,
        })
    }

    /// Path of the file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn config(&self) -> &Config {
        &self.inner.cfg
    }

    /// Seals each shard buffer once it holds `bytes` (rounded down to 4096, at least 4096, at
    /// most the configured shard buffer size) instead of when it is full, and gives the memory
    /// above that back as buffers are written. The largest record accepted does not change: a
    /// longer record still goes alone into an empty buffer. Used by `LoggerManager`'s budget.
    pub fn set_shard_buffer_limit(&self, bytes: usize) {
        self.inner.set.set_shard_limit(bytes);
    }

    /// Bytes a shard buffer holds before it is sealed (see `set_shard_buffer_limit`).
    pub fn shard_buffer_limit(&self) -> usize {
        self.inner.set.shard_limit()
    }

    /// Largest record payload accepted.
    pub fn max_record_size(&self) -> usize {
        self.inner.set.max_payload()
    }

    /// Logs one record (bytes are copied; text format adds a newline if missing).
    #[inline]
    pub fn log_bytes(&self, rec: &[u8]) -> Result<Outcome> {
        self.inner
            .set
            .write(rec.len(), rec.last() == Some(&b'\n'), 1, |d| {
                d.copy_from_slice(rec)
            })
    }

    /// Logs a string record.
    #[inline]
    pub fn log(&self, rec: &str) -> Result<Outcome> {
        self.log_bytes(rec.as_bytes())
    }

    /// Logs a record of `len` bytes written by `fill` straight into the buffer (zero copy).
    /// `ends_with_newline` must say whether the bytes `fill` writes end with `\n`.
    #[inline]
    pub fn log_with(
        &self,
        len: usize,
        ends_with_newline: bool,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<Outcome> {
        self.inner.set.write(len, ends_with_newline, 1, fill)
    }

    /// Text format: logs `count` newline-separated records given as one byte string of
    /// `len` bytes (without the final newline), written by `fill` straight into the buffer.
    /// They are accepted or dropped together.
    pub fn log_text_run(
        &self,
        len: usize,
        count: u64,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<Outcome> {
        self.inner.set.write(len, false, count, fill)
    }

    /// Logs many records, reserving buffer space once per group. Returns (accepted, dropped).
    pub fn log_batch(&self, records: &[&[u8]]) -> Result<(usize, usize)> {
        self.inner.set.write_many(records)
    }

    /// Writes everything accepted before this call to the file (waits up to `flush_timeout`).
    pub fn flush(&self) -> Result<()> {
        let inner = &self.inner;
        if inner.set.is_closed() {
            return Err(Error::Closed);
        }
        let seq = inner.set.request_flush();
        let deadline = Instant::now() + inner.cfg.flush_timeout;
        let mut d = inner.done.lock().unwrap();
        while d.flushed < seq && !d.closed {
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Unflushed {
                    bytes: inner.set.pending_bytes() + inner.counters.unwritten.load(Relaxed),
                    source: io::Error::new(
                        io::ErrorKind::TimedOut,
                        d.failed.clone().unwrap_or_else(|| "flush did not finish within flushTimeout; data stays queued and is retried".into()),
                    ),
                });
            }
            d = inner.done_cv.wait_timeout(d, deadline - now).unwrap().0;
        }
        if d.flushed < seq {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// Flushes, fsyncs, truncates the preallocation and seals the file. Idempotent.
    pub fn close(&self) -> Result<()> {
        let mut cr = self.close_result.lock().unwrap();
        if let Some(r) = &*cr {
            return r.clone().map_err(|(code, msg)| closed_error(code, msg));
        }
        *self.inner.close_requested.lock().unwrap() = Some(Instant::now());
        self.inner.set.request_close();
        let handle = self.flusher.lock().unwrap().take();
        let r = match handle.map(|h| h.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(Error::Unflushed {
                bytes: 0,
                source: io::Error::other("flusher thread panicked"),
            }),
            None => Ok(()),
        };
        *cr = Some(
            r.as_ref()
                .map(|_| ())
                .map_err(|e| (e.code(), e.to_string())),
        );
        r
    }

    pub fn is_closed(&self) -> bool {
        self.inner.set.is_closed()
    }

    pub fn stats(&self) -> Stats {
        let c = &self.inner.counters;
        let mut s = Stats {
            bytes_written: c.bytes_written.load(Relaxed),
            flushes: c.flushes.load(Relaxed),
            flush_errors: c.flush_errors.load(Relaxed),
            rotations: c.rotations.load(Relaxed),
            ..Stats::default()
        };
        for sh in self.inner.set.shards() {
            s.total_logs += sh.accepted.load(Relaxed);
            s.dropped_logs += sh.dropped.load(Relaxed);
        }
        s
    }

    /// Raw flush sums (for aggregation); `.metrics()` gives averages.
    pub fn raw_flush_metrics(&self) -> RawFlush {
        self.inner.counters.raw()
    }

    pub fn flush_metrics(&self) -> crate::stats::FlushMetrics {
        self.raw_flush_metrics().metrics()
    }
}

fn closed_error(code: &'static str, msg: String) -> Error {
    match code {
        "ERR_LOGGER_CLOSED" => Error::Closed,
        _ => Error::Unflushed {
            bytes: 0,
            source: io::Error::other(msg),
        },
    }
}

impl Drop for Logger {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// Body of the flusher thread.
fn run_flusher(inner: &Inner, w: &mut FileWriter) -> Result<()> {
    let interval = inner.cfg.flush_interval;
    let mut next = Instant::now() + interval;
    let mut gave_up: Option<io::Error> = None;
    w.announce(); // files recovered at open
    loop {
        let work = inner.set.wait_work(next);
        let mut sink = |chunks: &[Chunk]| write_chunks(inner, w, chunks);
        let res = match work {
            Work::Batch => inner.set.flush_batch(&mut sink).map(|_| ()),
            Work::Interval | Work::Flush(_) => {
                let r = inner
                    .set
                    .swap_all(&mut sink)
                    .and_then(|_| drain(inner, &mut sink));
                let r = r.and_then(|_| write_tail(inner, w));
                next = Instant::now() + interval;
                r
            }
            Work::Close => {
                let r = inner
                    .set
                    .seal_all(&mut sink)
                    .and_then(|_| drain(inner, &mut sink));
                // The final fsync, truncate and seal are retried like a write (each step is
                // idempotent), until close has waited `flush_timeout`.
                let r =
                    r.and_then(|_| w.retry(&mut retry_policy(inner), |w| w.close().map(|_| ())));
                publish(inner, w);
                w.announce();
                return match r {
                    Ok(()) => Ok(()),
                    Err(e) => Err(Error::Unflushed {
                        bytes: abandon_file(inner, w),
                        source: e,
                    }),
                };
            }
        };
        w.announce();
        if let Err(e) = res {
            // Only close gives up on a write; the layout of that batch is spent, so stop here.
            gave_up = Some(e);
        }
        if let Work::Flush(seq) = work {
            let mut d = inner.done.lock().unwrap();
            d.flushed = d.flushed.max(seq);
            inner.done_cv.notify_all();
        }
        if let Some(e) = gave_up.take() {
            inner.set.request_close();
            let bytes = abandon_file(inner, w);
            return Err(Error::Unflushed { bytes, source: e });
        }
    }
}

/// Puts the partial last block on disk, retrying like a batch.
fn write_tail(inner: &Inner, w: &mut FileWriter) -> io::Result<()> {
    let r = w.retry(&mut retry_policy(inner), |w| w.write_tail());
    publish(inner, w);
    r
}

/// Makes the writer's byte counts visible to `stats()` and `flush()`: `bytes_written` is what
/// is in the files, `unwritten` what the writer holds that is not (yet).
fn publish(inner: &Inner, w: &FileWriter) {
    inner
        .counters
        .bytes_written
        .store(w.bytes_written(), Relaxed);
    inner.counters.unwritten.store(w.unwritten(), Relaxed);
}

/// Close gave up on a failing disk: the file is cut to its last complete record (a write cut
/// short is rolled back) and one attempt is made to seal it. Returns the accepted bytes that
/// are not in the file.
fn abandon_file(inner: &Inner, w: &mut FileWriter) -> u64 {
    let lost = w.give_up();
    let _ = w.close();
    publish(inner, w);
    w.announce();
    inner.set.pending_bytes() + lost
}

/// How the flusher treats a failed write: count it, remember it for `flush()` callers, and
/// retry after a capped exponential pause — until a requested close has waited `flush_timeout`.
fn retry_policy(inner: &Inner) -> impl FnMut(&io::Error) -> bool + '_ {
    let mut pause = Duration::from_millis(5);
    move |e: &io::Error| {
        inner.counters.flush_errors.fetch_add(1, Relaxed);
        inner.done.lock().unwrap().failed = Some(format!(
            "write to {} failed: {e}",
            inner.cfg.log_file_path.display()
        ));
        if let Some(at) = *inner.close_requested.lock().unwrap() {
            if at.elapsed() >= inner.cfg.flush_timeout {
                return false;
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_secs(1));
        true
    }
}

fn drain(inner: &Inner, sink: &mut Sink<'_>) -> io::Result<()> {
    while inner.set.has_ready() {
        inner.set.flush_batch(sink)?;
    }
    Ok(())
}

/// Writes one batch, retrying failed attempts with a capped backoff. Gives up only once a
/// requested close has waited `flush_timeout`.
fn write_chunks(
    inner: &Inner,
    w: &mut FileWriter,
    chunks: &[Chunk],
) -> std::result::Result<(), SinkError> {
    let t0 = Instant::now();
    let mut on_error = retry_policy(inner);
    let rot0 = w.rotations;
    let res = w.write_batch(chunks, &mut on_error);
    publish(inner, w);
    // Counted also when the batch is given up: its rotations happened.
    inner
        .counters
        .rotations
        .fetch_add(w.rotations - rot0, Relaxed);
    let timing = res?;
    inner.done.lock().unwrap().failed = None;
    inner
        .counters
        .record(t0.elapsed(), timing.write, timing.pwritev);
    Ok(())
}
