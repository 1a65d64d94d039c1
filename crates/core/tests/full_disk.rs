//! A full disk: writes fail with ENOSPC, are counted and retried, writers wait, and once
//! space comes back every accepted record reaches the file. Uses a small tmpfs (needs root,
//! which the CI machine has; elsewhere the test says loudly why it did not run).

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use logferry_core::{Config, Logger};

fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn enospc_is_retried_and_nothing_is_lost() {
    let dir = scratch();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let m = mnt.to_str().unwrap();
    if !sh(&["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", m]) {
        assert!(
            std::env::var("CI").is_err(),
            "CI must be able to mount a tmpfs for the full-disk test"
        );
        eprintln!("!!! full-disk test NOT RUN: cannot mount tmpfs (not root?)");
        return;
    }
    struct Unmount(String);
    impl Drop for Unmount {
        fn drop(&mut self) {
            sh(&["umount", "-l", &self.0]);
        }
    }
    let _u = Unmount(m.to_string());
    let mut cfg = Config::new(mnt.join("full.log"));
    cfg.buffer_size = 64 << 10;
    cfg.num_shards = 2;
    cfg.max_file_size = 64 << 20;
    cfg.preallocate_file_size = 0;
    cfg.flush_interval = Duration::from_millis(20);
    let logger = Arc::new(Logger::new(cfg).unwrap());
    let l2 = logger.clone();
    let writer = std::thread::spawn(move || {
        for seq in 0..40_000u64 {
            l2.log_bytes(&record(0, seq, 40)).unwrap(); // ~3 MB in all, the disk holds 1 MB
        }
    });
    let start = Instant::now();
    while logger.stats().flush_errors == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the disk never filled up"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !writer.is_finished(),
        "writers wait while the disk is full (block mode)"
    );
    // Space comes back.
    assert!(sh(&["mount", "-o", "remount,size=16m", m]));
    writer.join().unwrap();
    logger.close().unwrap();
    let st = logger.stats();
    assert!(st.flush_errors > 0);
    assert_eq!(st.total_logs, 40_000);
    let (seen, torn) = read_dir_records(&mnt, "full");
    assert_eq!(torn, 0);
    assert_eq!(seen.len(), 40_000);
    assert!(seen.values().all(|&n| n == 1));
}
