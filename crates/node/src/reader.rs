//! Reading log files back (either format; framed checksums are verified).

use logferry_core::Format;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::err;

fn format_name(f: Format) -> String {
    match f {
        Format::Text => "text".into(),
        Format::Framed => "framed".into(),
    }
}

/// A record read back from a log file.
#[napi(object)]
pub struct ReadResult {
    pub records: Vec<Buffer>,
    pub format: String,
    /// Byte offset of a torn tail (crash), if any.
    pub torn_tail: Option<f64>,
}

/// Reads a whole log file of either format (verifies framed checksums).
#[napi(catch_unwind)]
pub fn read_log_file_sync(path: String) -> napi::Result<ReadResult> {
    let mut r = logferry_core::Reader::open(&path).map_err(err)?;
    let mut records = Vec::new();
    while let Some(rec) = r.next_record().map_err(err)? {
        records.push(Buffer::from(rec));
    }
    Ok(ReadResult {
        records,
        format: format_name(r.format()),
        torn_tail: r.torn_tail().map(|o| o as f64),
    })
}

/// Streams the records of a log file, a batch at a time (bounded memory for large files).
#[napi]
pub struct LogFileReader {
    inner: Option<logferry_core::Reader>,
    /// An error met after some records of a batch: raised by the next call, so every
    /// record before the damage reaches the caller.
    pending: Option<logferry_core::Error>,
}

#[napi]
impl LogFileReader {
    #[napi(constructor, catch_unwind)]
    pub fn new(path: String) -> napi::Result<Self> {
        Ok(LogFileReader {
            inner: Some(logferry_core::Reader::open(&path).map_err(err)?),
            pending: None,
        })
    }

    /// Up to `max` next records; an empty array at the end of the file.
    #[napi(catch_unwind)]
    pub fn next_batch(&mut self, max: u32) -> napi::Result<Vec<Buffer>> {
        if let Some(e) = self.pending.take() {
            return Err(err(e));
        }
        let Some(r) = self.inner.as_mut() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        while out.len() < max.max(1) as usize {
            match r.next_record() {
                Ok(Some(rec)) => out.push(Buffer::from(rec)),
                Ok(None) => break,
                Err(e) if out.is_empty() => return Err(err(e)),
                Err(e) => {
                    self.pending = Some(e);
                    break;
                }
            }
        }
        Ok(out)
    }

    /// "text" or "framed".
    #[napi]
    pub fn format(&self) -> String {
        format_name(self.inner.as_ref().map_or(Format::Text, |r| r.format()))
    }

    /// Byte offset of a torn tail met so far (crash), if any.
    #[napi]
    pub fn torn_tail(&self) -> Option<f64> {
        self.inner
            .as_ref()
            .and_then(|r| r.torn_tail())
            .map(|o| o as f64)
    }

    /// Releases the file.
    #[napi]
    pub fn close(&mut self) {
        self.inner = None;
    }
}
