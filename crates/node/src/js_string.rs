//! UTF-8 of a JS string written straight into engine memory (no intermediate Rust String).

use napi::bindgen_prelude::*;

/// UTF-8 of a JS string into `buf` (NUL-terminated, at most `cap` bytes); `buf` null asks
/// only for the length.
///
/// # Safety
/// `buf` must be null or point to `cap` writable bytes; `env` and `s` must be live handles.
pub(crate) unsafe fn utf8_into(
    env: napi::sys::napi_env,
    s: napi::sys::napi_value,
    buf: *mut u8,
    cap: usize,
    written: &mut usize,
) -> napi::sys::napi_status {
    napi::sys::napi_get_value_string_utf8(env, s, buf as *mut _, cap, written)
}

pub(crate) fn check(status: napi::sys::napi_status) -> napi::Result<()> {
    if status == napi::sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            Status::StringExpected,
            "ERR_INVALID_ARG: record must be a string".to_string(),
        ))
    }
}
