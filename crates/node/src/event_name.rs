//! Event names as file names (LoggerManager writes `{event}.log`).

use napi_derive::napi;

use crate::error::err;

/// The file-safe form of an event name.
#[napi(catch_unwind)]
pub fn sanitize_event_name(name: String) -> napi::Result<String> {
    logferry_core::sanitize_event_name(&name)
        .map(|s| s.into_owned())
        .map_err(err)
}
