//! `LoggerManager`'s buffer budget rule for the TypeScript manager (the rule itself lives in
//! logferry-core's buffer_budget.rs, shared with the Rust `LoggerManager`).

use napi_derive::napi;

use crate::error::{err, invalid};
use crate::options::{to_config, NativeOptions};

fn budget(max_buffer_bytes: f64) -> napi::Result<u64> {
    if max_buffer_bytes.is_finite() && max_buffer_bytes >= 1.0 && max_buffer_bytes.fract() == 0.0 {
        Ok(max_buffer_bytes as u64)
    } else {
        Err(invalid(format!(
            "maxBufferBytes must be a positive integer, got {max_buffer_bytes}"
        )))
    }
}

/// Default `maxBufferBytes` of a `LoggerManager`.
#[napi]
pub fn default_max_buffer_bytes() -> f64 {
    logferry_core::buffer_budget::DEFAULT_MAX_BUFFER_BYTES as f64
}

/// Checks that `maxBufferBytes` holds at least one event logger with `options`
/// (ERR_INVALID_CONFIG otherwise).
#[napi(catch_unwind)]
pub fn check_buffer_budget(options: NativeOptions, max_buffer_bytes: f64) -> napi::Result<()> {
    let cfg = to_config(&options)?;
    cfg.validate().map_err(err)?;
    logferry_core::buffer_budget::validate(budget(max_buffer_bytes)?, &cfg).map_err(err)
}

/// Bytes each shard buffer of `events` open event loggers with `options` holds under
/// `maxBufferBytes` (ERR_BUFFER_BUDGET when even the smallest buffers do not fit).
#[napi(catch_unwind)]
pub fn event_shard_buffer_limit(
    options: NativeOptions,
    max_buffer_bytes: f64,
    events: u32,
) -> napi::Result<f64> {
    let cfg = to_config(&options)?;
    cfg.validate().map_err(err)?;
    logferry_core::buffer_budget::shard_buffer_limit(
        budget(max_buffer_bytes)?,
        events as usize,
        &cfg,
    )
    .map(|l| l as f64)
    .map_err(err)
}
