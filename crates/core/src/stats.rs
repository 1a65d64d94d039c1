//! Counters of a logger and the flush metrics of the seed's `GetAggregatedFlushMetrics`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// A snapshot of a logger's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records accepted (they will reach the file).
    pub total_logs: u64,
    /// Records refused because both buffers of their shard were full (`on_full = drop`).
    pub dropped_logs: u64,
    /// Bytes in the log files: the files sealed by rotation and what of the active file is on
    /// disk. A close that gives up on a failing disk cuts a record it could not finish off
    /// the file, and this count with it.
    pub bytes_written: u64,
    /// Batches written.
    pub flushes: u64,
    /// Failed write attempts (each was retried).
    pub flush_errors: u64,
    /// Files sealed by rotation.
    pub rotations: u64,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.total_logs += o.total_logs;
        self.dropped_logs += o.dropped_logs;
        self.bytes_written += o.bytes_written;
        self.flushes += o.flushes;
        self.flush_errors += o.flush_errors;
        self.rotations += o.rotations;
    }
}

/// Where flush time goes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FlushMetrics {
    pub flushes: u64,
    pub avg_flush_duration: Duration,
    pub max_flush_duration: Duration,
    /// File writer time per flush (layout, vectored write, tail, rotation).
    pub avg_write_duration: Duration,
    /// Share of the flush spent in the file writer, in percent.
    pub write_percent: f64,
    /// Time in the `pwritev` system call per flush.
    pub avg_pwritev_duration: Duration,
    pub pwritev_percent: f64,
}

#[derive(Default)]
pub(crate) struct FlushCounters {
    pub flushes: AtomicU64,
    pub flush_ns: AtomicU64,
    pub max_flush_ns: AtomicU64,
    pub write_ns: AtomicU64,
    pub pwritev_ns: AtomicU64,
    /// Set by the flusher from the file writer (`FileWriter::bytes_written`).
    pub bytes_written: AtomicU64,
    /// Bytes whose buffers were written but that are not on disk yet (the partial last block
    /// of text + O_DIRECT): `ERR_UNFLUSHED` counts them with the queued bytes.
    pub unwritten: AtomicU64,
    pub flush_errors: AtomicU64,
    pub rotations: AtomicU64,
}

impl FlushCounters {
    pub(crate) fn record(&self, flush: Duration, write: Duration, pwritev: Duration) {
        let ns = flush.as_nanos() as u64;
        self.flushes.fetch_add(1, Relaxed);
        self.flush_ns.fetch_add(ns, Relaxed);
        self.max_flush_ns.fetch_max(ns, Relaxed);
        self.write_ns.fetch_add(write.as_nanos() as u64, Relaxed);
        self.pwritev_ns
            .fetch_add(pwritev.as_nanos() as u64, Relaxed);
    }

    pub(crate) fn raw(&self) -> RawFlush {
        RawFlush {
            flushes: self.flushes.load(Relaxed),
            flush_ns: self.flush_ns.load(Relaxed),
            max_flush_ns: self.max_flush_ns.load(Relaxed),
            write_ns: self.write_ns.load(Relaxed),
            pwritev_ns: self.pwritev_ns.load(Relaxed),
        }
    }
}

/// Sums that can be aggregated over loggers before averaging.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawFlush {
    pub flushes: u64,
    pub flush_ns: u64,
    pub max_flush_ns: u64,
    pub write_ns: u64,
    pub pwritev_ns: u64,
}

impl RawFlush {
    pub fn add(&mut self, o: &RawFlush) {
        self.flushes += o.flushes;
        self.flush_ns += o.flush_ns;
        self.max_flush_ns = self.max_flush_ns.max(o.max_flush_ns);
        self.write_ns += o.write_ns;
        self.pwritev_ns += o.pwritev_ns;
    }

    pub fn metrics(&self) -> FlushMetrics {
        let n = self.flushes.max(1);
        let pct = |x: u64| {
            if self.flush_ns == 0 {
                0.0
            } else {
                x as f64 * 100.0 / self.flush_ns as f64
            }
        };
        FlushMetrics {
            flushes: self.flushes,
            avg_flush_duration: Duration::from_nanos(self.flush_ns / n),
            max_flush_duration: Duration::from_nanos(self.max_flush_ns),
            avg_write_duration: Duration::from_nanos(self.write_ns / n),
            write_percent: pct(self.write_ns),
            avg_pwritev_duration: Duration::from_nanos(self.pwritev_ns / n),
            pwritev_percent: pct(self.pwritev_ns),
        }
    }
}
