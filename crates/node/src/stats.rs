//! Counters and flush timings as JS objects (numbers as f64: JS has no u64).

use std::time::Duration;

use napi_derive::napi;

#[napi(object)]
pub struct NativeStats {
    pub total_logs: f64,
    pub dropped_logs: f64,
    pub bytes_written: f64,
    pub flushes: f64,
    pub flush_errors: f64,
    pub rotations: f64,
}

impl From<logferry_core::Stats> for NativeStats {
    fn from(s: logferry_core::Stats) -> Self {
        NativeStats {
            total_logs: s.total_logs as f64,
            dropped_logs: s.dropped_logs as f64,
            bytes_written: s.bytes_written as f64,
            flushes: s.flushes as f64,
            flush_errors: s.flush_errors as f64,
            rotations: s.rotations as f64,
        }
    }
}

#[napi(object)]
pub struct NativeFlushMetrics {
    pub flushes: f64,
    /// Milliseconds.
    pub avg_flush_duration: f64,
    pub max_flush_duration: f64,
    pub avg_write_duration: f64,
    pub write_percent: f64,
    pub avg_pwritev_duration: f64,
    pub pwritev_percent: f64,
}

impl From<logferry_core::FlushMetrics> for NativeFlushMetrics {
    fn from(m: logferry_core::FlushMetrics) -> Self {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        NativeFlushMetrics {
            flushes: m.flushes as f64,
            avg_flush_duration: ms(m.avg_flush_duration),
            max_flush_duration: ms(m.max_flush_duration),
            avg_write_duration: ms(m.avg_write_duration),
            write_percent: m.write_percent,
            avg_pwritev_duration: ms(m.avg_pwritev_duration),
            pwritev_percent: m.pwritev_percent,
        }
    }
}
