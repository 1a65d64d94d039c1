//! Close's last steps (fsync, exact size, seal by rename) are retried like writes until
//! `flush_timeout`, then reported. The rename is made to fail with an immutable directory
//! (`chattr +i`: refused even to root) on the scratch disk.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use logferry_core::{Config, Logger};

/// `chattr +i` on a directory, undone on drop (so a failing test leaves no immutable dir).
struct Immutable(PathBuf);

fn chattr(flag: &str, dir: &Path) -> bool {
    Command::new("chattr")
        .arg(flag)
        .arg(dir)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

impl Immutable {
    fn set(dir: &Path) -> Option<Immutable> {
        if chattr("+i", dir) {
            return Some(Immutable(dir.to_path_buf()));
        }
        assert!(
            std::env::var("CI").map_or(true, |v| v.is_empty()),
            "CI must be able to chattr +i a directory (root, ext4)"
        );
        eprintln!("!!! close-retry test NOT RUN: chattr +i refused (not root, or not ext4?)");
        None
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        chattr("-i", &self.0);
    }
}

fn logger_with_records(dir: &Path, n: u64, flush_timeout: Duration) -> Logger {
    let mut cfg = Config::new(dir.join("app.log"));
    cfg.buffer_size = 64 << 10;
    cfg.flush_timeout = flush_timeout;
    let logger = Logger::new(cfg).unwrap();
    for seq in 0..n {
        logger.log_bytes(&record(0, seq, 20)).unwrap();
    }
    logger.flush().unwrap();
    logger
}

#[test]
fn a_seal_that_fails_for_a_while_is_retried_and_close_succeeds() {
    let scratch = scratch();
    let dir = scratch.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    let logger = logger_with_records(&dir, 500, Duration::from_secs(20));
    let Some(lock) = Immutable::set(&dir) else {
        return;
    };
    let unlock = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        drop(lock);
    });
    let r = logger.close();
    unlock.join().unwrap();
    r.expect("close gives up on a seal that fails for 0.4 s of its 20 s flushTimeout");
    assert!(
        logger.stats().flush_errors > 0,
        "the refused rename was not seen"
    );
    assert!(!dir.join("app.log").exists(), "the file was not sealed");
    assert_eq!(log_files(&dir, "app").len(), 1);
    let (seen, torn) = read_dir_records(&dir, "app");
    assert_eq!(torn, 0);
    assert_eq!(seen.len(), 500);
    assert!(seen.values().all(|&n| n == 1));
}

#[test]
fn a_seal_that_keeps_failing_is_reported_after_flush_timeout_and_nothing_is_lost() {
    let scratch = scratch();
    let dir = scratch.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    let logger = logger_with_records(&dir, 300, Duration::from_millis(500));
    let Some(lock) = Immutable::set(&dir) else {
        return;
    };
    let t0 = Instant::now();
    let err = logger
        .close()
        .expect_err("a seal that never works cannot succeed");
    assert_eq!(err.code(), "ERR_UNFLUSHED");
    assert!(
        t0.elapsed() >= Duration::from_millis(500),
        "gave up before flushTimeout"
    );
    assert!(logger.stats().flush_errors > 1, "the seal was not retried");
    drop(lock);
    // The data stays at the active path, whole; the next logger on the path seals it.
    let (seen, torn) = read_dir_records(&dir, "app");
    assert_eq!((seen.len(), torn), (300, 0));
    let next = Logger::new(Config::new(dir.join("app.log"))).unwrap();
    next.close().unwrap();
    assert!(!dir.join("app.log").exists());
    let (seen, _) = read_dir_records(&dir, "app");
    assert_eq!(seen.len(), 300);
}
