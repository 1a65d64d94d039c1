//! Sealed-file events: the engine announces each sealed file once (on its flusher thread, or
//! on the thread that closes it); every open JS handle of that engine gets it.
//!
//! Each handle has an inbox. The engine's callback appends the path to every inbox and, if
//! the inbox was not already waiting, wakes its JS thread through a weak threadsafe function
//! (weak: a logger never keeps the event loop alive on its own). The wake-up runs on the JS
//! thread and hands the callback everything queued so far. `take` drains an inbox
//! synchronously, so `flush()`/`close()` can deliver what they sealed before they resolve:
//! the inbox is the one record of what a handle has not seen yet, so no path is delivered
//! twice or lost, whichever of the two gets there first.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

/// Wakes a handle's JS thread with the paths its inbox holds (callee not handed an error
/// argument; weak; unbounded queue: the engine thread never blocks on JS).
type Wake = ThreadsafeFunction<(), (), Vec<String>, Status, false, true, 0>;

#[derive(Default)]
struct Inbox {
    paths: Vec<String>,
    /// A wake-up is queued and has not run yet: further paths ride along with it.
    woken: bool,
    /// None once the handle is released, or when it was opened without a callback.
    wake: Option<Wake>,
}

/// The sealed files one JS handle has not been given yet.
#[derive(Default)]
pub(crate) struct Subscriber {
    inbox: Mutex<Inbox>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not turn every later event into a second panic.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Subscriber {
    /// A subscriber whose paths are pushed to `callback` (when given) on its JS thread.
    pub(crate) fn new(callback: Option<Function<'_, Vec<String>, ()>>) -> napi::Result<Arc<Self>> {
        let sub = Arc::new(Subscriber::default());
        if let Some(f) = callback {
            let me: Weak<Subscriber> = Arc::downgrade(&sub);
            let wake: Wake = f
                .build_threadsafe_function::<()>()
                .callee_handled::<false>()
                .weak::<true>()
                .build_callback(move |_ctx| {
                    Ok(me.upgrade().map(|s| s.wake_up()).unwrap_or_default())
                })?;
            lock(&sub.inbox).wake = Some(wake);
        }
        Ok(sub)
    }

    fn push(&self, path: &str) {
        let mut inbox = lock(&self.inbox);
        inbox.paths.push(path.to_string());
        if !inbox.woken {
            if let Some(w) = &inbox.wake {
                // Fails only while the JS environment is going away; `take` still has the path.
                inbox.woken = w.call((), ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok;
            }
        }
    }

    /// Runs on the JS thread: what the queued wake-up delivers.
    fn wake_up(&self) -> Vec<String> {
        let mut inbox = lock(&self.inbox);
        inbox.woken = false;
        std::mem::take(&mut inbox.paths)
    }

    /// Paths sealed since the last delivery (each handle sees every file sealed while it was
    /// subscribed).
    pub(crate) fn take(&self) -> Vec<String> {
        std::mem::take(&mut lock(&self.inbox).paths)
    }

    /// No more wake-ups (what is queued stays for `take`); releases the threadsafe function.
    pub(crate) fn stop(&self) {
        let wake = lock(&self.inbox).wake.take();
        drop(wake);
    }
}

/// The subscribers of one engine.
#[derive(Clone, Default)]
pub(crate) struct Subscribers(Arc<Mutex<Vec<Arc<Subscriber>>>>);

impl Subscribers {
    pub(crate) fn with(first: Arc<Subscriber>) -> Self {
        Subscribers(Arc::new(Mutex::new(vec![first])))
    }

    pub(crate) fn add(&self, s: Arc<Subscriber>) {
        lock(&self.0).push(s);
    }

    pub(crate) fn remove(&self, s: &Arc<Subscriber>) {
        lock(&self.0).retain(|q| !Arc::ptr_eq(q, s));
        s.stop();
    }

    /// The engine's `on_sealed`: fans each sealed path out to every subscriber.
    pub(crate) fn callback(&self) -> logferry_core::SealedCallback {
        let subs = self.clone();
        Arc::new(move |p: &std::path::Path| {
            let p = p.display().to_string();
            for s in lock(&subs.0).iter() {
                s.push(&p);
            }
        })
    }
}
