//! Crash: a child process writing at full speed is killed with SIGKILL. Every file must read
//! without error, every record returned must be intact, and every record the child saw
//! flushed before the kill must be there.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use logferry_core::{Config, Format, Logger};

const CHILD_ENV: &str = "LOGFERRY_CRASH_CHILD";

/// Runs only inside the child process: writes from 2 threads forever, reports flushed ids.
#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (dir, format) = spec.split_once('|').unwrap();
    let mut cfg = Config::new(std::path::Path::new(dir).join("crash.log"));
    cfg.format = if format == "framed" {
        Format::Framed
    } else {
        Format::Text
    };
    cfg.buffer_size = 256 << 10;
    cfg.num_shards = 4;
    cfg.max_file_size = 2 << 20;
    cfg.flush_interval = Duration::from_millis(50);
    let logger = Arc::new(Logger::new(cfg).unwrap());
    let progress: Arc<Vec<std::sync::atomic::AtomicU64>> = Arc::new(
        (0..2)
            .map(|_| std::sync::atomic::AtomicU64::new(0))
            .collect(),
    );
    for tid in 0..2 {
        let (l, p) = (logger.clone(), progress.clone());
        std::thread::spawn(move || {
            for seq in 0.. {
                l.log_bytes(&record(tid, seq, (seq % 200) as usize))
                    .unwrap();
                p[tid].store(seq + 1, std::sync::atomic::Ordering::Release);
            }
        });
    }
    loop {
        let upto: Vec<u64> = progress
            .iter()
            .map(|a| a.load(std::sync::atomic::Ordering::Acquire))
            .collect();
        logger.flush().unwrap();
        // Everything below these counts was accepted before flush() began.
        println!("flushed {} {}", upto[0], upto[1]);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn crash_once(format: &str) {
    let dir = scratch();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{}|{format}", dir.path().display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut flushed = [0u64; 2];
    let mut reports = 0;
    let start = Instant::now();
    for line in out.lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("flushed ") {
            let v: Vec<u64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
            flushed = [v[0], v[1]];
            reports += 1;
            if reports >= 15 && flushed.iter().all(|&f| f > 1000)
                || start.elapsed() > Duration::from_secs(30)
            {
                break;
            }
        }
    }
    // SIGKILL: no destructor, no flush, no close.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(reports >= 15, "child made no progress");

    let files = log_files(dir.path(), "crash");
    assert!(
        files.len() >= 2,
        "expected rotations before the kill, got {files:?}"
    );
    let (seen, torn) = read_dir_records(dir.path(), "crash");
    assert!(
        torn <= 1,
        "only the file being written may have a torn tail"
    );
    for (tid, &upto) in flushed.iter().enumerate() {
        for seq in 0..upto {
            assert_eq!(
                seen.get(&(tid, seq)),
                Some(&1),
                "{format}: record t{tid}-{seq} was flushed before the kill but is missing"
            );
        }
    }
    assert!(
        seen.values().all(|&n| n == 1),
        "duplicated records after the crash"
    );
    // A new logger on the same path seals what the crash left behind instead of overwriting it.
    let before = log_files(dir.path(), "crash").len();
    let mut cfg = Config::new(dir.path().join("crash.log"));
    cfg.format = if format == "framed" {
        Format::Framed
    } else {
        Format::Text
    };
    let l = Logger::new(cfg).unwrap();
    l.log("after restart").unwrap();
    l.close().unwrap();
    assert_eq!(log_files(dir.path(), "crash").len(), before + 1);
}

#[test]
fn sigkill_text() {
    crash_once("text");
}

#[test]
fn sigkill_framed() {
    crash_once("framed");
}
