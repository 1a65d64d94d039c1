//! `NativeLogger`: one JS handle on a process-wide engine (see registry.rs).

use std::sync::Arc;

use logferry_core::{Format, Outcome};
use napi::bindgen_prelude::*;
use napi::{Env, JsString};
use napi_derive::napi;

use crate::error::err;
use crate::js_string::{check, utf8_into};
use crate::options::NativeOptions;
use crate::registry::Handle;
use crate::sealed_events::Subscriber;
use crate::stats::{NativeFlushMetrics, NativeStats};
use crate::tasks::EngineTask;

#[napi]
pub struct NativeLogger {
    handle: Arc<Handle>,
}

impl NativeLogger {
    fn open(&self) -> napi::Result<&logferry_core::Logger> {
        self.handle.logger().map_err(err)
    }
}

fn outcome(r: logferry_core::Result<Outcome>) -> napi::Result<bool> {
    r.map(|o| o == Outcome::Accepted).map_err(err)
}

#[napi]
impl NativeLogger {
    /// Opens (or joins, when another thread of this process has the same path open) a logger.
    /// `onSealed` is called on this thread with the paths of files sealed since its last call
    /// (rotation, close, a file left at the path); it does not keep the event loop alive.
    /// `takeSealed` returns what it was not given yet.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        options: NativeOptions,
        on_sealed: Option<Function<'_, Vec<String>, ()>>,
    ) -> napi::Result<Self> {
        let sealed = Subscriber::new(on_sealed)?;
        Ok(NativeLogger {
            handle: Arc::new(Handle::open(&options, sealed)?),
        })
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
        self.handle.release().map_err(err)
    }

    /// Flush on a libuv worker thread.
    #[napi]
    pub fn flush(&self) -> AsyncTask<EngineTask> {
        AsyncTask::new(EngineTask {
            handle: self.handle.clone(),
            close: false,
        })
    }

    /// Close on a libuv worker thread.
    #[napi]
    pub fn close(&self) -> AsyncTask<EngineTask> {
        AsyncTask::new(EngineTask {
            handle: self.handle.clone(),
            close: true,
        })
    }

    #[napi]
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Paths of files sealed that `onSealed` was not given yet (each handle sees every file
    /// sealed while it was open). Call it after `flush`/`close` to deliver what they sealed.
    #[napi]
    pub fn take_sealed(&self) -> Vec<String> {
        self.handle.sealed().take()
    }

    /// Seals each shard buffer once it holds `bytes` (LoggerManager's buffer budget; see
    /// `Logger::set_shard_buffer_limit`). Applies to the engine, shared by every handle on it.
    #[napi(catch_unwind)]
    pub fn set_shard_buffer_limit(&self, bytes: f64) -> napi::Result<()> {
        if !(bytes.is_finite() && bytes >= 0.0) {
            return Err(crate::error::invalid(format!(
                "shard buffer limit must be a non-negative number, got {bytes}"
            )));
        }
        self.handle.engine().set_shard_buffer_limit(bytes as usize);
        Ok(())
    }

    /// Bytes a shard buffer holds before it is written.
    #[napi]
    pub fn shard_buffer_limit(&self) -> f64 {
        self.handle.engine().shard_buffer_limit() as f64
    }

    #[napi]
    pub fn max_record_size(&self) -> u32 {
        self.handle.engine().max_record_size() as u32
    }

    #[napi]
    pub fn stats(&self) -> NativeStats {
        self.handle.engine().stats().into()
    }

    #[napi]
    pub fn flush_metrics(&self) -> NativeFlushMetrics {
        self.handle.engine().flush_metrics().into()
    }
}
