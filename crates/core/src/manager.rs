//! One logger per event, each writing `{dir of log_file_path}/{event}.log`, created lazily,
//! sharing one buffer memory budget (buffer_budget.rs).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Acquire, Ordering::Release};
use std::sync::{Arc, RwLock};

use crate::buffer_budget::{self, DEFAULT_MAX_BUFFER_BYTES};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::event_name::sanitize_event_name;
use crate::logger::Logger;
use crate::shard_set::Outcome;
use crate::stats::{FlushMetrics, RawFlush, Stats};

pub struct LoggerManager {
    base: Config,
    /// Bytes all event loggers' buffers may fill together.
    max_buffer_bytes: u64,
    dir: PathBuf,
    loggers: RwLock<HashMap<String, Arc<Logger>>>,
    closed: AtomicBool,
    /// Stats of event loggers closed individually, so aggregates never go backwards.
    retired: std::sync::Mutex<(Stats, RawFlush)>,
}

impl LoggerManager {
    /// A manager with the default budget (`DEFAULT_MAX_BUFFER_BYTES`).
    pub fn new(base: Config) -> Result<Self> {
        Self::with_budget(base, DEFAULT_MAX_BUFFER_BYTES)
    }

    /// A manager whose event loggers' buffers fill at most `max_buffer_bytes` together.
    pub fn with_budget(base: Config, max_buffer_bytes: u64) -> Result<Self> {
        base.validate()?;
        buffer_budget::validate(max_buffer_bytes, &base)?;
        let dir = base
            .log_file_path
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(LoggerManager {
            base,
            max_buffer_bytes,
            dir,
            loggers: RwLock::new(HashMap::new()),
            closed: AtomicBool::new(false),
            retired: std::sync::Mutex::new((Stats::default(), RawFlush::default())),
        })
    }

    /// File an event writes to.
    pub fn event_path(&self, event: &str) -> Result<PathBuf> {
        Ok(self
            .dir
            .join(format!("{}.log", sanitize_event_name(event)?)))
    }

    /// The logger of an event, created on first use.
    pub fn event_logger(&self, event: &str) -> Result<Arc<Logger>> {
        if self.closed.load(Acquire) {
            return Err(Error::Closed);
        }
        let name = sanitize_event_name(event)?;
        if let Some(l) = self.loggers.read().unwrap().get(name.as_ref()) {
            return Ok(l.clone());
        }
        let mut map = self.loggers.write().unwrap();
        if self.closed.load(Acquire) {
            return Err(Error::Closed);
        }
        if let Some(l) = map.get(name.as_ref()) {
            return Ok(l.clone());
        }
        let limit =
            buffer_budget::shard_buffer_limit(self.max_buffer_bytes, map.len() + 1, &self.base)?;
        let mut cfg = self.base.clone();
        cfg.log_file_path = self.dir.join(format!("{name}.log"));
        let l = Arc::new(Logger::new(cfg)?);
        map.insert(name.into_owned(), l.clone());
        for l in map.values() {
            l.set_shard_buffer_limit(limit);
        }
        Ok(l)
    }

    /// Bytes all event loggers' buffers may fill together.
    pub fn max_buffer_bytes(&self) -> u64 {
        self.max_buffer_bytes
    }

    /// Bytes each open event logger's shard buffers hold before they are written (the
    /// budget's share; the configured shard buffer size while the budget allows it).
    pub fn shard_buffer_limit(&self) -> usize {
        let n = self.loggers.read().unwrap().len();
        buffer_budget::shard_buffer_limit(self.max_buffer_bytes, n, &self.base)
            .unwrap_or(buffer_budget::MIN_SHARD_BUFFER.min(self.base.shard_buffer_size()))
    }

    pub fn initialize_event_logger(&self, event: &str) -> Result<()> {
        self.event_logger(event).map(|_| ())
    }

    pub fn has_event_logger(&self, event: &str) -> bool {
        match sanitize_event_name(event) {
            Ok(n) => self.loggers.read().unwrap().contains_key(n.as_ref()),
            Err(_) => false,
        }
    }

    /// Sanitised names of the open event loggers, sorted.
    pub fn list_event_loggers(&self) -> Vec<String> {
        let mut v: Vec<String> = self.loggers.read().unwrap().keys().cloned().collect();
        v.sort();
        v
    }

    pub fn log_bytes_with_event(&self, event: &str, rec: &[u8]) -> Result<Outcome> {
        self.event_logger(event)?.log_bytes(rec)
    }

    pub fn log_with_event(&self, event: &str, rec: &str) -> Result<Outcome> {
        self.log_bytes_with_event(event, rec.as_bytes())
    }

    /// Flushes and closes one event's logger; returns false if it had none.
    pub fn close_event_logger(&self, event: &str) -> Result<bool> {
        let name = sanitize_event_name(event)?;
        let l = {
            let mut map = self.loggers.write().unwrap();
            let l = map.remove(name.as_ref());
            // The others get the freed share.
            if let Ok(limit) =
                buffer_budget::shard_buffer_limit(self.max_buffer_bytes, map.len(), &self.base)
            {
                for o in map.values() {
                    o.set_shard_buffer_limit(limit);
                }
            }
            l
        };
        match l {
            Some(l) => {
                let r = l.close();
                let mut ret = self.retired.lock().unwrap();
                ret.0.add(&l.stats());
                ret.1.add(&l.raw_flush_metrics());
                r.map(|_| true)
            }
            None => Ok(false),
        }
    }

    pub fn flush(&self) -> Result<()> {
        let all: Vec<Arc<Logger>> = self.loggers.read().unwrap().values().cloned().collect();
        let mut first = None;
        for l in all {
            if let Err(e) = l.flush() {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    pub fn aggregated_stats(&self) -> Stats {
        let mut s = self.retired.lock().unwrap().0;
        for l in self.loggers.read().unwrap().values() {
            s.add(&l.stats());
        }
        s
    }

    pub fn aggregated_flush_metrics(&self) -> FlushMetrics {
        let mut r = self.retired.lock().unwrap().1;
        for l in self.loggers.read().unwrap().values() {
            r.add(&l.raw_flush_metrics());
        }
        r.metrics()
    }

    /// Closes every event logger. Idempotent; later writes fail with `ERR_LOGGER_CLOSED`.
    pub fn close(&self) -> Result<()> {
        self.closed.store(true, Release);
        let all: Vec<(String, Arc<Logger>)> = self.loggers.write().unwrap().drain().collect();
        let mut first = None;
        let mut ret = self.retired.lock().unwrap();
        for (_, l) in all {
            if let Err(e) = l.close() {
                first.get_or_insert(e);
            }
            ret.0.add(&l.stats());
            ret.1.add(&l.raw_flush_metrics());
        }
        first.map_or(Ok(()), Err)
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Acquire)
    }
}

impl Drop for LoggerManager {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
