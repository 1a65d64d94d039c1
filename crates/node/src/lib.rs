//! Thin napi-rs binding over logferry-core. Errors carry a stable code as the message prefix
//! `ERR_XXX: ` which the TypeScript layer turns into the `code` property.

#![deny(clippy::all)]

mod crc32c;
mod zstd;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use logferry_core::{Config, Format, Logger, OnFull, Outcome, ShardSelection};
use napi::bindgen_prelude::*;
use napi::{Env, JsString};
use napi_derive::napi;

fn err(e: logferry_core::Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("{}: {e}", e.code()))
}

fn invalid(msg: String) -> napi::Error {
    napi::Error::new(Status::InvalidArg, format!("ERR_INVALID_CONFIG: {msg}"))
}

#[napi(object)]
pub struct NativeOptions {
    pub log_file_path: String,
    pub buffer_size: Option<f64>,
    pub num_shards: Option<u32>,
    pub max_file_size: Option<f64>,
    pub preallocate_file_size: Option<f64>,
    /// Milliseconds.
    pub flush_interval: Option<f64>,
    /// Milliseconds.
    pub flush_timeout: Option<f64>,
    /// "text" | "framed"
    pub format: Option<String>,
    /// "thread" | "roundRobin"
    pub shard_selection: Option<String>,
    /// "block" | "drop"
    pub on_full: Option<String>,
    pub direct_io: Option<bool>,
}

#[napi(object)]
pub struct NativeStats {
    pub total_logs: f64,
    pub dropped_logs: f64,
    pub bytes_written: f64,
    pub flushes: f64,
    pub flush_errors: f64,
    pub rotations: f64,
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

/// Sealed-file queue of one JS handle.
type SealedQueue = Arc<Mutex<Vec<String>>>;

/// One engine per file path in the process, shared by every worker thread that opens it.
struct Shared {
    logger: Logger,
    /// Queues of the open handles: every sealed file is announced to each of them, so a
    /// handle's 'sealed' listener does not miss files another thread's handle polled first.
    subscribers: Arc<Mutex<Vec<SealedQueue>>>,
    /// Open JS handles; the engine closes when the last one closes.
    handles: AtomicUsize,
}

fn registry() -> &'static Mutex<HashMap<PathBuf, Weak<Shared>>> {
    static R: OnceLock<Mutex<HashMap<PathBuf, Weak<Shared>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

fn to_config(o: &NativeOptions, subscribers: Arc<Mutex<Vec<SealedQueue>>>) -> napi::Result<Config> {
    let mut c = Config::new(&o.log_file_path);
    let size = |v: Option<f64>, name: &str| -> napi::Result<Option<u64>> {
        match v {
            None => Ok(None),
            Some(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 9.0e15 => {
                Ok(Some(x as u64))
            }
            Some(x) => Err(invalid(format!(
                "{name} must be a non-negative integer, got {x}"
            ))),
        }
    };
    if let Some(v) = size(o.buffer_size, "bufferSize")? {
        c.buffer_size = v as usize;
    }
    if let Some(v) = o.num_shards {
        c.num_shards = v as usize;
    }
    if let Some(v) = size(o.max_file_size, "maxFileSize")? {
        c.max_file_size = v;
    }
    if let Some(v) = size(o.preallocate_file_size, "preallocateFileSize")? {
        c.preallocate_file_size = v;
    }
    if let Some(v) = size(o.flush_interval, "flushInterval")? {
        c.flush_interval = Duration::from_millis(v);
    }
    if let Some(v) = size(o.flush_timeout, "flushTimeout")? {
        c.flush_timeout = Duration::from_millis(v);
    }
    c.format = match o.format.as_deref() {
        None | Some("text") => Format::Text,
        Some("framed") => Format::Framed,
        Some(x) => {
            return Err(invalid(format!(
                "format must be 'text' or 'framed', got '{x}'"
            )))
        }
    };
    c.shard_selection = match o.shard_selection.as_deref() {
        None | Some("thread") => ShardSelection::Thread,
        Some("roundRobin") => ShardSelection::RoundRobin,
        Some(x) => {
            return Err(invalid(format!(
                "shardSelection must be 'thread' or 'roundRobin', got '{x}'"
            )))
        }
    };
    c.on_full = match o.on_full.as_deref() {
        None | Some("block") => OnFull::Block,
        Some("drop") => OnFull::Drop,
        Some(x) => {
            return Err(invalid(format!(
                "onFull must be 'block' or 'drop', got '{x}'"
            )))
        }
    };
    if let Some(d) = o.direct_io {
        c.direct_io = d;
    }
    c.on_sealed = Some(Arc::new(move |p: &std::path::Path| {
        let p = p.display().to_string();
        for q in subscribers.lock().unwrap().iter() {
            q.lock().unwrap().push(p.clone());
        }
    }));
    Ok(c)
}

#[napi]
pub struct NativeLogger {
    shared: Arc<Shared>,
    closed: Arc<AtomicBool>,
    sealed: SealedQueue,
}

impl NativeLogger {
    /// A new handle on `shared`; `sealed` must already be subscribed.
    fn join(shared: Arc<Shared>, sealed: SealedQueue) -> Self {
        shared.handles.fetch_add(1, Ordering::AcqRel);
        NativeLogger {
            shared,
            closed: Arc::new(AtomicBool::new(false)),
            sealed,
        }
    }

    fn open(&self) -> napi::Result<&Logger> {
        if self.closed.load(Ordering::Acquire) {
            return Err(err(logferry_core::Error::Closed));
        }
        Ok(&self.shared.logger)
    }
}

/// Releases one handle: the last one closes the engine, the others only flush. The handle
/// stops receiving sealed files afterwards (those sealed until then stay in its queue).
fn release(
    shared: &Shared,
    closed: &AtomicBool,
    sealed: &SealedQueue,
) -> logferry_core::Result<()> {
    if closed.swap(true, Ordering::AcqRel) {
        return Ok(());
    }
    let r = if shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
        shared.logger.close()
    } else {
        match shared.logger.flush() {
            Err(logferry_core::Error::Closed) => Ok(()),
            r => r,
        }
    };
    shared
        .subscribers
        .lock()
        .unwrap()
        .retain(|q| !Arc::ptr_eq(q, sealed));
    r
}

impl Drop for NativeLogger {
    fn drop(&mut self) {
        let _ = release(&self.shared, &self.closed, &self.sealed);
    }
}

fn outcome(r: logferry_core::Result<Outcome>) -> napi::Result<bool> {
    r.map(|o| o == Outcome::Accepted).map_err(err)
}

#[napi]
impl NativeLogger {
    /// Opens (or joins, when another thread of this process has the same path open) a logger.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: NativeOptions) -> napi::Result<Self> {
        let key = std::path::absolute(&options.log_file_path)
            .unwrap_or_else(|_| PathBuf::from(&options.log_file_path));
        let mut reg = registry().lock().unwrap();
        let sealed: SealedQueue = Arc::new(Mutex::new(Vec::new()));
        if let Some(s) = reg.get(&key).and_then(|w| w.upgrade()) {
            if !s.logger.is_closed() {
                s.subscribers.lock().unwrap().push(sealed.clone());
                return Ok(NativeLogger::join(s, sealed));
            }
        }
        // Subscribed before the engine starts: a file left at the path is sealed by `new`.
        let subscribers = Arc::new(Mutex::new(vec![sealed.clone()]));
        let cfg = to_config(&options, subscribers.clone())?;
        let logger = Logger::new(cfg).map_err(err)?;
        let shared = Arc::new(Shared {
            logger,
            subscribers,
            handles: AtomicUsize::new(0),
        });
        reg.retain(|_, w| w.strong_count() > 0);
        reg.insert(key, Arc::downgrade(&shared));
        Ok(NativeLogger::join(shared, sealed))
    }

    /// Writes `s` as `count` text records (records joined by newlines), encoding the UTF-8
    /// straight into the reserved buffer space. `endsWithNewline` tells whether `s` ends with
    /// a newline already. Returns true if accepted, false if dropped (onFull: 'drop').
    #[napi(catch_unwind)]
    pub fn write_text(
        &self,
        env: Env,
        s: JsString,
        count: u32,
        ends_with_newline: bool,
    ) -> napi::Result<bool> {
        let (raw_env, raw_s) = (env.raw(), s.raw());
        let mut len = 0usize;
        // SAFETY: a null buffer asks only for the length in bytes.
        check(unsafe { utf8_into(raw_env, raw_s, std::ptr::null_mut(), 0, &mut len) })?;
        let l = self.open()?;
        if l.config().format != Format::Text || ends_with_newline {
            // Rare shapes go through one copy: framed (one record) or a run that already ends
            // with its newline (the engine adds it back).
            let mut buf = vec![0u8; len + 1];
            let mut w = 0usize;
            check(unsafe { utf8_into(raw_env, raw_s, buf.as_mut_ptr(), len + 1, &mut w) })?;
            buf.truncate(w);
            if l.config().format != Format::Text {
                return outcome(l.log_bytes(&buf));
            }
            buf.pop();
            return outcome(l.log_text_run(buf.len(), count as u64, |d| d.copy_from_slice(&buf)));
        }
        let mut status = napi::sys::Status::napi_ok;
        let mut written = 0usize;
        // Text reservations are len + 1 bytes (the newline slot takes the encoder's NUL).
        let r = l.log_text_run(len, count as u64, |d| {
            status = unsafe { utf8_into(raw_env, raw_s, d.as_mut_ptr(), len + 1, &mut written) };
            if status != napi::sys::Status::napi_ok || written != len {
                d[..len].fill(b' ');
            }
        });
        check(status)?;
        outcome(r)
    }

    /// One binary record (Buffer / Uint8Array), copied once into the buffer.
    #[napi(catch_unwind)]
    pub fn write_bytes(&self, data: &[u8]) -> napi::Result<bool> {
        outcome(self.open()?.log_bytes(data))
    }

    /// Many records (strings or byte arrays) with one boundary crossing.
    #[napi(catch_unwind)]
    pub fn write_batch(&self, records: Vec<Either<String, Uint8Array>>) -> napi::Result<Vec<u32>> {
        let refs: Vec<&[u8]> = records
            .iter()
            .map(|r| match r {
                Either::A(s) => s.as_bytes(),
                Either::B(b) => b.as_ref(),
            })
            .collect();
        let (a, d) = self.open()?.log_batch(&refs).map_err(err)?;
        Ok(vec![a as u32, d as u32])
    }

    #[napi(catch_unwind)]
    pub fn flush_sync(&self) -> napi::Result<()> {
        self.open()?.flush().map_err(err)
    }

    /// Closes this handle (the engine closes with its last handle). Idempotent.
    #[napi(catch_unwind)]
    pub fn close_sync(&self) -> napi::Result<()> {
        release(&self.shared, &self.closed, &self.sealed).map_err(err)
    }

    /// Flush on a libuv worker thread.
    #[napi]
    pub fn flush(&self) -> AsyncTask<EngineTask> {
        AsyncTask::new(EngineTask {
            shared: self.shared.clone(),
            closed: self.closed.clone(),
            sealed: self.sealed.clone(),
            close: false,
        })
    }

    /// Close on a libuv worker thread.
    #[napi]
    pub fn close(&self) -> AsyncTask<EngineTask> {
        AsyncTask::new(EngineTask {
            shared: self.shared.clone(),
            closed: self.closed.clone(),
            sealed: self.sealed.clone(),
            close: true,
        })
    }

    #[napi]
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire) || self.shared.logger.is_closed()
    }

    /// Paths of files sealed since the last call (each handle sees every file sealed while
    /// it was open).
    #[napi]
    pub fn take_sealed(&self) -> Vec<String> {
        std::mem::take(&mut *self.sealed.lock().unwrap())
    }

    #[napi]
    pub fn max_record_size(&self) -> u32 {
        self.shared.logger.max_record_size() as u32
    }

    #[napi]
    pub fn stats(&self) -> NativeStats {
        let s = self.shared.logger.stats();
        NativeStats {
            total_logs: s.total_logs as f64,
            dropped_logs: s.dropped_logs as f64,
            bytes_written: s.bytes_written as f64,
            flushes: s.flushes as f64,
            flush_errors: s.flush_errors as f64,
            rotations: s.rotations as f64,
        }
    }

    #[napi]
    pub fn flush_metrics(&self) -> NativeFlushMetrics {
        let m = self.shared.logger.flush_metrics();
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

/// UTF-8 of a JS string into `buf` (NUL-terminated, at most `cap` bytes); `buf` null asks
/// only for the length.
///
/// # Safety
/// `buf` must be null or point to `cap` writable bytes; `env` and `s` must be live handles.
unsafe fn utf8_into(
    env: napi::sys::napi_env,
    s: napi::sys::napi_value,
    buf: *mut u8,
    cap: usize,
    written: &mut usize,
) -> napi::sys::napi_status {
    napi::sys::napi_get_value_string_utf8(env, s, buf as *mut _, cap, written)
}

fn check(status: napi::sys::napi_status) -> napi::Result<()> {
    if status == napi::sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            Status::StringExpected,
            "ERR_INVALID_ARG: record must be a string".to_string(),
        ))
    }
}

pub struct EngineTask {
    shared: Arc<Shared>,
    closed: Arc<AtomicBool>,
    sealed: SealedQueue,
    close: bool,
}

impl Task for EngineTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        let (shared, closed, sealed) = (&self.shared, &self.closed, &self.sealed);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if self.close {
                release(shared, closed, sealed)
            } else if closed.load(Ordering::Acquire) {
                Err(logferry_core::Error::Closed)
            } else {
                shared.logger.flush()
            }
        }));
        match r {
            Ok(r) => r.map_err(err),
            Err(_) => Err(napi::Error::new(
                Status::GenericFailure,
                "ERR_PANIC: engine panicked".to_string(),
            )),
        }
    }

    fn resolve(&mut self, _env: Env, _out: ()) -> napi::Result<()> {
        Ok(())
    }
}

/// A record read back from a log file.
#[napi(object)]
pub struct ReadResult {
    pub records: Vec<Buffer>,
    pub format: String,
    /// Byte offset of a torn tail (crash), if any.
    pub torn_tail: Option<f64>,
}

/// Reads a whole log file of either format (verifies framed checksums).
#[napi(catch_unwind)]
pub fn read_log_file_sync(path: String) -> napi::Result<ReadResult> {
    let mut r = logferry_core::Reader::open(&path).map_err(err)?;
    let mut records = Vec::new();
    while let Some(rec) = r.next_record().map_err(err)? {
        records.push(Buffer::from(rec));
    }
    Ok(ReadResult {
        records,
        format: match r.format() {
            Format::Text => "text".into(),
            Format::Framed => "framed".into(),
        },
        torn_tail: r.torn_tail().map(|o| o as f64),
    })
}

/// The file-safe form of an event name.
#[napi(catch_unwind)]
pub fn sanitize_event_name(name: String) -> napi::Result<String> {
    logferry_core::sanitize_event_name(&name)
        .map(|s| s.into_owned())
        .map_err(err)
}

/// Streams the records of a log file, a batch at a time (bounded memory for large files).
#[napi]
pub struct LogFileReader {
    inner: Option<logferry_core::Reader>,
    /// An error met after some records of a batch: raised by the next call, so every
    /// record before the damage reaches the caller.
    pending: Option<logferry_core::Error>,
}

#[napi]
impl LogFileReader {
    #[napi(constructor, catch_unwind)]
    pub fn new(path: String) -> napi::Result<Self> {
        Ok(LogFileReader {
            inner: Some(logferry_core::Reader::open(&path).map_err(err)?),
            pending: None,
        })
    }

    /// Up to `max` next records; an empty array at the end of the file.
    #[napi(catch_unwind)]
    pub fn next_batch(&mut self, max: u32) -> napi::Result<Vec<Buffer>> {
        if let Some(e) = self.pending.take() {
            return Err(err(e));
        }
        let Some(r) = self.inner.as_mut() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        while out.len() < max.max(1) as usize {
            match r.next_record() {
                Ok(Some(rec)) => out.push(Buffer::from(rec)),
                Ok(None) => break,
                Err(e) if out.is_empty() => return Err(err(e)),
                Err(e) => {
                    self.pending = Some(e);
                    break;
                }
            }
        }
        Ok(out)
    }

    /// "text" or "framed".
    #[napi]
    pub fn format(&self) -> String {
        match self.inner.as_ref().map(|r| r.format()) {
            Some(Format::Framed) => "framed".into(),
            _ => "text".into(),
        }
    }

    /// Byte offset of a torn tail met so far (crash), if any.
    #[napi]
    pub fn torn_tail(&self) -> Option<f64> {
        self.inner
            .as_ref()
            .and_then(|r| r.torn_tail())
            .map(|o| o as f64)
    }

    /// Releases the file.
    #[napi]
    pub fn close(&mut self) {
        self.inner = None;
    }
}
