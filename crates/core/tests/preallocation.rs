//! Preallocation reserves disk ahead of the data in steps, never past what the file can grow
//! to, so many loggers with little to say cannot fill a disk with reservations
//! (docs/engine.md "Preallocation"). On tmpfs, where `fallocate` reserves real pages.

mod common;

use std::time::Duration;

use common::*;
use logferry_core::{Config, Logger};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;

#[test]
fn a_hundred_loggers_with_one_line_each_fit_a_small_disk() {
    let dir = scratch();
    let Some(disk) = Tmpfs::mount(dir.path(), "64m") else {
        return;
    };
    let loggers: Vec<Logger> = (0..100)
        .map(|i| {
            let mut cfg = Config::new(disk.path.join(format!("event{i}.log")));
            cfg.buffer_size = 64 << 10;
            // Each file alone fits the disk many times over; 100 such reservations do not.
            cfg.preallocate_file_size = 4 * MIB;
            cfg.flush_timeout = Duration::from_secs(2);
            Logger::new(cfg).unwrap()
        })
        .collect();
    for (i, l) in loggers.iter().enumerate() {
        l.log_bytes(&record(i, 0, 40)).unwrap();
        // A write refused for lack of space would keep the line queued: ERR_UNFLUSHED.
        l.flush()
            .unwrap_or_else(|e| panic!("event{i}: one line did not reach the disk: {e}"));
    }
    let held: u64 = loggers.iter().map(|l| allocated(l.path())).sum();
    assert!(
        held <= 100 * 4 * KIB,
        "100 one-line files hold {held} bytes of disk"
    );
    for (i, l) in loggers.iter().enumerate() {
        l.close().unwrap();
        assert_eq!(l.stats().flush_errors, 0, "event{i} saw failed writes");
    }
    let (seen, torn) = read_dir_records(&disk.path, "event");
    assert_eq!(torn, 0);
    assert_eq!(seen.len(), 100);
    assert!(seen.values().all(|&n| n == 1));
}

#[test]
fn a_busy_file_reserves_in_steps_and_never_past_its_maximum_size() {
    let dir = scratch();
    let Some(disk) = Tmpfs::mount(dir.path(), "64m") else {
        return;
    };
    let mut cfg = Config::new(disk.path.join("busy.log"));
    cfg.buffer_size = 256 << 10;
    cfg.num_shards = 1;
    cfg.max_file_size = 8 * MIB;
    cfg.preallocate_file_size = 32 * MIB;
    let logger = Logger::new(cfg).unwrap();
    let path = logger.path().to_path_buf();
    let mut seq = 0u64;
    let mut write_until = |bytes: u64| {
        while logger.stats().bytes_written + 256 * KIB < bytes {
            for _ in 0..1000 {
                logger.log_bytes(&record(0, seq, 1000)).unwrap();
                seq += 1;
            }
            logger.flush().unwrap();
        }
    };
    write_until(2 * MIB);
    let size = std::fs::metadata(&path).unwrap().len();
    let held = allocated(&path);
    assert!(
        held <= 2 * size + 4 * KIB,
        "a file of {size} bytes holds {held}: more than its size again in reservation"
    );
    write_until(7 * MIB);
    let held = allocated(&path);
    assert!(
        held <= 8 * MIB,
        "the active file holds {held} bytes, more than maxFileSize (8 MiB) allows it to grow to"
    );
    assert_eq!(logger.stats().rotations, 0);
    logger.close().unwrap();
    // Sealed files give back whatever was reserved past their data.
    for f in log_files(&disk.path, "busy") {
        let size = std::fs::metadata(&f).unwrap().len();
        assert!(
            allocated(&f) <= size.div_ceil(4096) * 4096,
            "{}",
            f.display()
        );
    }
}
