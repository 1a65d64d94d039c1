//! The process-wide engines: one per file path, shared by every handle (worker thread or
//! second `Logger`) that opens it; the engine closes when its last handle closes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use logferry_core::Logger;

use crate::error::err;
use crate::options::{to_config, NativeOptions};
use crate::sealed_events::{Subscriber, Subscribers};

/// One engine and the handles open on it.
struct Shared {
    logger: Logger,
    subscribers: Subscribers,
    /// Open handles; the engine closes when the last one closes.
    handles: AtomicUsize,
}

fn registry() -> &'static Mutex<HashMap<PathBuf, Weak<Shared>>> {
    static R: OnceLock<Mutex<HashMap<PathBuf, Weak<Shared>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

/// One JS handle on a shared engine.
pub(crate) struct Handle {
    shared: Arc<Shared>,
    closed: AtomicBool,
    sealed: Arc<Subscriber>,
}

impl Handle {
    /// Opens the engine of `options.log_file_path`, or joins it when this process has it open.
    /// `sealed` receives every file sealed from now on (a file left at the path is sealed by
    /// the engine's start, and `sealed` is subscribed before that).
    pub(crate) fn open(options: &NativeOptions, sealed: Arc<Subscriber>) -> napi::Result<Self> {
        let key = std::path::absolute(&options.log_file_path)
            .unwrap_or_else(|_| PathBuf::from(&options.log_file_path));
        let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = reg.get(&key).and_then(|w| w.upgrade()) {
            if !s.logger.is_closed() {
                s.subscribers.add(sealed.clone());
                return Ok(Handle::join(s, sealed));
            }
        }
        let subscribers = Subscribers::with(sealed.clone());
        let mut cfg = to_config(options)?;
        cfg.on_sealed = Some(subscribers.callback());
        let logger = Logger::new(cfg).map_err(err)?;
        let shared = Arc::new(Shared {
            logger,
            subscribers,
            handles: AtomicUsize::new(0),
        });
        reg.retain(|_, w| w.strong_count() > 0);
        reg.insert(key, Arc::downgrade(&shared));
        Ok(Handle::join(shared, sealed))
    }

    fn join(shared: Arc<Shared>, sealed: Arc<Subscriber>) -> Self {
        shared.handles.fetch_add(1, Ordering::AcqRel);
        Handle {
            shared,
            closed: AtomicBool::new(false),
            sealed,
        }
    }

    /// The engine, unless this handle is closed.
    pub(crate) fn logger(&self) -> logferry_core::Result<&Logger> {
        if self.closed.load(Ordering::Acquire) {
            return Err(logferry_core::Error::Closed);
        }
        Ok(&self.shared.logger)
    }

    /// The engine even after this handle closed (stats stay readable).
    pub(crate) fn engine(&self) -> &Logger {
        &self.shared.logger
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire) || self.shared.logger.is_closed()
    }

    pub(crate) fn sealed(&self) -> &Subscriber {
        &self.sealed
    }

    /// Releases this handle: the last one closes the engine, the others only flush.
    /// Idempotent. The handle stops receiving sealed files afterwards (those sealed until
    /// then stay in its inbox).
    pub(crate) fn release(&self) -> logferry_core::Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let shared = &self.shared;
        let r = if shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            shared.logger.close()
        } else {
            match shared.logger.flush() {
                Err(logferry_core::Error::Closed) => Ok(()),
                r => r,
            }
        };
        shared.subscribers.remove(&self.sealed);
        r
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.release();
    }
}
