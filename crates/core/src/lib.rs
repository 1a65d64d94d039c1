//! logferry's engine: a lossless, lock-free, sharded double-buffer file logger.
//!
//! Writers reserve space in their shard's active buffer with one compare-and-swap that also
//! registers them as in flight, copy their record and publish completion. A full buffer is
//! sealed by exactly one writer, which activates the shard's other buffer once the flusher
//! has written it out. The flusher writes all sealed buffers with one `pwritev` once 25% of
//! the shards in use are ready, on a timer and on request, O_DIRECT where possible, and
//! rotates files by size under unique sealed names.

pub mod aligned_buf;
pub mod buffer_budget;
pub mod config;
pub mod error;
pub mod event_name;
mod file_writer;
pub mod frame;
pub mod logger;
pub mod manager;
pub mod reader;
pub mod sealed_name;
mod shard;
pub mod shard_set;
pub mod stats;
mod sync;

pub use config::{Config, Format, OnFull, SealedCallback, ShardSelection};
pub use error::{Error, Result};
pub use event_name::sanitize_event_name;
pub use logger::Logger;
pub use manager::LoggerManager;
pub use reader::{read_all, Reader};
pub use shard_set::Outcome;
pub use stats::{FlushMetrics, Stats};

#[cfg(all(test, loom))]
mod model_tests;
