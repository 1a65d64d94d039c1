//! Flush and close on a libuv worker thread (the JS thread never waits on the disk).

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::Env;

use crate::error::{err, guard};
use crate::registry::Handle;

pub struct EngineTask {
    pub(crate) handle: Arc<Handle>,
    pub(crate) close: bool,
}

impl Task for EngineTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        let h = &self.handle;
        let close = self.close;
        guard(|| {
            if close {
                h.release()
            } else {
                h.logger().and_then(|l| l.flush())
            }
            .map_err(err)
        })
    }

    fn resolve(&mut self, _env: Env, _out: ()) -> napi::Result<()> {
        Ok(())
    }
}
