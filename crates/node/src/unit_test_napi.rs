//! The crate's unit tests run as a plain executable, outside Node, so the few N-API functions
//! that napi-rs's runtime keeps referenced (drop paths of references and thread-safe functions)
//! have no provider and the test binary would not link. These definitions exist only in that
//! binary; a test that reached one would be a test of the binding, which belongs in the JS
//! suites, so reaching one aborts.
#![cfg(test)]

use std::ffi::c_void;

#[no_mangle]
extern "C" fn napi_delete_reference(_env: *mut c_void, _reference: *mut c_void) -> i32 {
    std::process::abort()
}

#[no_mangle]
extern "C" fn napi_reference_unref(
    _env: *mut c_void,
    _reference: *mut c_void,
    _count: *mut u32,
) -> i32 {
    std::process::abort()
}

#[no_mangle]
extern "C" fn napi_call_threadsafe_function(
    _func: *mut c_void,
    _data: *mut c_void,
    _mode: i32,
) -> i32 {
    std::process::abort()
}
