//! Thin napi-rs binding over logferry-core. Errors carry a stable code as the message prefix
//! `ERR_XXX: ` which the TypeScript layer turns into the `code` property.

#![deny(clippy::all)]

// Public so the exported items count as used in test builds too (napi-derive registers
// them with Node only in the cdylib).
pub mod buffer_budget;
mod chunk_pipeline;
pub mod crc32c;
pub mod decompress;
pub mod dir_listing;
mod direct_io;
mod error;
pub mod event_name;
pub mod extract;
pub mod file_batch;
pub mod file_digest;
mod js_string;
pub mod logger;
pub mod options;
pub mod reader;
mod registry;
mod sealed_events;
pub mod sealed_name;
pub mod search;
pub mod stats;
pub mod tasks;
pub mod test_panic;
mod unit_test_napi;
mod unnamed_temp;
pub mod zstd;
