//! `logferry search`: a native, parallel, streaming grep over log files, with ripgrep's engines
//! (memchr's memmem for literals, the regex crate for patterns) and ripgrep's line semantics;
//! files newest first, `.gz`/`.zst` decoded while scanning, `limit` and cancellation between
//! blocks. No napi here: crates/node/src/search.rs is the binding.

#![deny(clippy::all)]

pub mod files;
pub mod matcher;
pub mod run;
pub mod scanner;
pub mod source;

pub use files::{Filter, Resume};
pub use matcher::{Matcher, PatternError};
pub use run::{search_file, Batch, Search, SearchOptions, Waiter};
pub use scanner::{End, Hit};
pub use source::{Decode, DecodeFailure, FileError};
