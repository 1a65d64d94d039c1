//! Logger options from JS, checked and turned into the engine's `Config`.

use std::time::Duration;

use logferry_core::{Config, Format, OnFull, ShardSelection};
use napi_derive::napi;

use crate::error::invalid;

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

/// The engine configuration of `o` (without `on_sealed`: the registry wires that).
pub(crate) fn to_config(o: &NativeOptions) -> napi::Result<Config> {
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
    Ok(c)
}
