//! Test-only entry points that panic on purpose, to prove that a Rust panic reaches JavaScript
//! as an error coded `ERR_PANIC` with Node alive (test/logger/panic.test.ts). Not API: the
//! `__testPanic` names say so, and the TypeScript layer does not re-export them. They take the
//! two paths every real entry point takes: a synchronous call (`#[napi(catch_unwind)]`, like
//! `NativeLogger`'s methods) and a task on a libuv worker thread (`guard`, like flush and close).

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::error::guard;

const MESSAGE: &str = "__testPanic: a panic on purpose";

/// Panics on the calling (JS) thread.
#[napi(js_name = "__testPanicSync", catch_unwind)]
pub fn test_panic_sync() -> napi::Result<()> {
    panic!("{MESSAGE}")
}

pub struct PanicTask;

impl Task for PanicTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        guard(|| panic!("{MESSAGE}"))
    }

    fn resolve(&mut self, _env: Env, _out: ()) -> napi::Result<()> {
        Ok(())
    }
}

/// Panics on a libuv worker thread; the promise rejects.
#[napi(js_name = "__testPanicAsync")]
pub fn test_panic_async() -> AsyncTask<PanicTask> {
    AsyncTask::new(PanicTask)
}
