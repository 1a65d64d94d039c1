//! Errors of the engine, each with a stable code that the binding forwards to JavaScript.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in the engine.
#[derive(Debug)]
pub enum Error {
    /// A configuration value is out of range or inconsistent.
    InvalidConfig(String),
    /// An event name is empty or cannot be made into a file name.
    InvalidEventName(String),
    /// The logger was closed; no further records are accepted.
    Closed,
    /// The record cannot fit in a shard buffer (`size`, `limit`).
    RecordTooLarge { size: usize, limit: usize },
    /// An I/O error, with the path it concerns.
    Io {
        path: PathBuf,
        op: &'static str,
        source: io::Error,
    },
    /// Data could not be written before close gave up; the bytes are counted.
    Unflushed { bytes: u64, source: io::Error },
    /// A manager's `max_buffer_bytes` cannot give one more event logger the smallest buffers.
    BufferBudget {
        events: usize,
        max_buffer_bytes: u64,
        max_events: usize,
        event_bytes: u64,
    },
    /// A log file is corrupt at `offset`.
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
}

impl Error {
    /// Stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidConfig(_) => "ERR_INVALID_CONFIG",
            Error::InvalidEventName(_) => "ERR_INVALID_EVENT_NAME",
            Error::Closed => "ERR_LOGGER_CLOSED",
            Error::RecordTooLarge { .. } => "ERR_RECORD_TOO_LARGE",
            Error::Io { .. } => "ERR_IO",
            Error::Unflushed { .. } => "ERR_UNFLUSHED",
            Error::Corrupt { .. } => "ERR_CORRUPT",
            Error::BufferBudget { .. } => "ERR_BUFFER_BUDGET",
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, op: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            op,
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidConfig(m) => write!(f, "invalid config: {m}"),
            Error::InvalidEventName(m) => write!(f, "invalid event name: {m}"),
            Error::Closed => write!(f, "logger is closed"),
            Error::RecordTooLarge { size, limit } => write!(
                f,
                "record of {size} bytes exceeds the largest record a shard buffer holds ({limit} bytes); raise bufferSize or lower numShards"
            ),
            Error::Io { path, op, source } => {
                write!(f, "{op} {}: {source}", path.display())
            }
            Error::Unflushed { bytes, source } => {
                write!(f, "{bytes} bytes could not be written before close: {source}")
            }
            Error::BufferBudget { events, max_buffer_bytes, max_events, event_bytes } => write!(
                f,
                "{events} open events do not fit in maxBufferBytes {max_buffer_bytes}: it holds at most {max_events} at the smallest buffers ({event_bytes} bytes each); raise maxBufferBytes or close idle events (closeEventLogger)"
            ),
            Error::Corrupt { path, offset, reason } => {
                write!(f, "{} is corrupt at byte offset {offset}: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Unflushed { source, .. } => Some(source),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
