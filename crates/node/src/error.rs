//! Engine errors as JS errors: the stable code is the message prefix (`ERR_XXX: ...`).

use napi::bindgen_prelude::*;

pub(crate) fn err(e: logferry_core::Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("{}: {e}", e.code()))
}

pub(crate) fn invalid(msg: String) -> napi::Error {
    napi::Error::new(Status::InvalidArg, format!("ERR_INVALID_CONFIG: {msg}"))
}

/// What a caught panic becomes: Node must never be taken down by the engine.
pub(crate) fn panicked() -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        "ERR_PANIC: engine panicked".to_string(),
    )
}

/// Runs `f`, turning a panic into `ERR_PANIC` (for work outside a `#[napi(catch_unwind)]`
/// entry point: tasks on libuv worker threads).
pub(crate) fn guard<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| Err(panicked()))
}
