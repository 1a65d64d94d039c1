//! Logger configuration, with defaults and validation.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};

/// Page size used for buffer and file alignment.
pub const ALIGN: usize = 4096;

/// On-disk format of a log file (see docs/format.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Newline-terminated records; a closed file is exactly the records, nothing else.
    Text,
    /// Length-prefixed records in checksummed blocks; binary safe.
    Framed,
}

/// How a writer picks its shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSelection {
    /// One shard per writer thread: a thread's records stay in order.
    Thread,
    /// An atomic counter spreads records over all shards.
    RoundRobin,
}

/// What a writer does when both buffers of its shard are full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFull {
    /// Wait until the flusher frees a buffer.
    Block,
    /// Refuse the record and count it as dropped.
    Drop,
}

/// Called with the path of every file that is complete (rotated or closed).
pub type SealedCallback = Arc<dyn Fn(&std::path::Path) + Send + Sync>;

/// Configuration of one logger.
#[derive(Clone)]
pub struct Config {
    pub log_file_path: PathBuf,
    /// Total bytes of one buffer generation over all shards (each shard has two buffers of
    /// `buffer_size / num_shards`, rounded up to 4096).
    pub buffer_size: usize,
    pub num_shards: usize,
    pub max_file_size: u64,
    pub preallocate_file_size: u64,
    pub flush_interval: Duration,
    /// How long `close` keeps retrying a failing write before it reports the data unflushed.
    pub flush_timeout: Duration,
    pub format: Format,
    pub shard_selection: ShardSelection,
    pub on_full: OnFull,
    pub direct_io: bool,
    pub on_sealed: Option<SealedCallback>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("log_file_path", &self.log_file_path)
            .field("buffer_size", &self.buffer_size)
            .field("num_shards", &self.num_shards)
            .field("max_file_size", &self.max_file_size)
            .field("preallocate_file_size", &self.preallocate_file_size)
            .field("flush_interval", &self.flush_interval)
            .field("flush_timeout", &self.flush_timeout)
            .field("format", &self.format)
            .field("shard_selection", &self.shard_selection)
            .field("on_full", &self.on_full)
            .field("direct_io", &self.direct_io)
            .finish()
    }
}

impl Config {
    /// Defaults of the seed: 64 MiB over 8 shards, 10 s flush interval, text format.
    pub fn new(log_file_path: impl Into<PathBuf>) -> Self {
        Config {
            log_file_path: log_file_path.into(),
            buffer_size: 64 << 20,
            num_shards: 8,
            max_file_size: 1 << 30,
            preallocate_file_size: 1 << 30,
            flush_interval: Duration::from_secs(10),
            flush_timeout: Duration::from_secs(10),
            format: Format::Text,
            shard_selection: ShardSelection::Thread,
            on_full: OnFull::Block,
            direct_io: true,
            on_sealed: None,
        }
    }

    /// Bytes of one shard buffer: `buffer_size / num_shards` rounded up to 4096.
    pub fn shard_buffer_size(&self) -> usize {
        let per = self.buffer_size.div_ceil(self.num_shards.max(1));
        per.div_ceil(ALIGN) * ALIGN
    }

    /// Number of ready shards that triggers a batch flush: 25%, at least 1.
    pub fn flush_threshold(&self) -> usize {
        (self.num_shards / 4).max(1)
    }

    /// Checks every value; the message names the option and the accepted range.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        if self.log_file_path.as_os_str().is_empty() {
            return bad("logFilePath must not be empty".into());
        }
        if self.log_file_path.file_name().is_none() {
            return bad(format!(
                "logFilePath {} must name a file",
                self.log_file_path.display()
            ));
        }
        if self.num_shards == 0 || self.num_shards > 1024 {
            return bad(format!(
                "numShards must be 1..=1024, got {}",
                self.num_shards
            ));
        }
        if self.buffer_size < 4096 {
            return bad(format!(
                "bufferSize must be at least 4096 bytes, got {}",
                self.buffer_size
            ));
        }
        if self.shard_buffer_size() > (1usize << 31) - ALIGN {
            return bad(format!(
                "bufferSize / numShards must be below 2 GiB, got {}",
                self.shard_buffer_size()
            ));
        }
        if self.max_file_size < ALIGN as u64 {
            return bad(format!(
                "maxFileSize must be at least 4096 bytes, got {}",
                self.max_file_size
            ));
        }
        if self.flush_interval.is_zero() {
            return bad("flushInterval must be greater than 0".into());
        }
        Ok(())
    }
}
