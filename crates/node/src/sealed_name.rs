//! The sealed-name format (logferry_core::sealed_name, the one definition) for the TypeScript
//! layer: the uploader's object names and the log manager's retention parse with these.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use logferry_core::sealed_name::{self, SealedName};
use napi_derive::napi;

/// The parts of a sealed file name `{stem}_{YYYY-MM-DD_HH-MM-SS}[_{n}]{ext}` (UTC).
#[napi(object)]
pub struct NativeSealedName {
    pub stem: String,
    /// `YYYY-MM-DD_HH-MM-SS`.
    pub stamp: String,
    /// The seal time of the stamp, milliseconds since the epoch.
    pub sealed_at: f64,
    /// The `_n` suffix (files sealed within one second), 0 when there is none.
    pub seq: u32,
    /// Extension with its dot, "" when none.
    pub ext: String,
}

impl From<SealedName> for NativeSealedName {
    fn from(s: SealedName) -> Self {
        NativeSealedName {
            sealed_at: s.secs as f64 * 1000.0,
            stem: s.stem,
            stamp: s.stamp,
            seq: s.seq,
            ext: s.ext,
        }
    }
}

/// Whole seconds of a JS time (ms since the epoch; before 1970 counts as 1970).
fn at(unix_ms: f64) -> std::time::SystemTime {
    let secs = if unix_ms.is_finite() && unix_ms > 0.0 {
        (unix_ms / 1000.0).floor() as u64
    } else {
        0
    };
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// The parts of the file name of `path` when it is a name the engine gives sealed files.
#[napi(catch_unwind)]
pub fn parse_sealed_name(path: String) -> Option<NativeSealedName> {
    sealed_name::parse(Path::new(&path)).map(Into::into)
}

/// True when `name` is a sealed file of the active file `activePath` (same stem and extension).
#[napi(catch_unwind)]
pub fn is_sealed_sibling(name: String, active_path: String) -> bool {
    sealed_name::is_sealed_sibling(Path::new(&name), Path::new(&active_path))
}

/// The name the engine would give `activePath` sealed at `unixMs` (the first candidate).
#[napi(catch_unwind)]
pub fn sealed_name_of(active_path: String, unix_ms: f64) -> NativeSealedName {
    sealed_name::sealed_name(Path::new(&active_path), at(unix_ms), 0).into()
}

/// `YYYY-MM-DD_HH-MM-SS` of a time (ms since the epoch), in UTC: the stamp of sealed names.
#[napi(catch_unwind)]
pub fn utc_stamp(unix_ms: f64) -> String {
    let secs = at(unix_ms)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    sealed_name::utc_stamp(secs)
}
