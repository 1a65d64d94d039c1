//! Exact accounting: every accepted record comes back exactly once and intact, through
//! rotation storms, in both formats, both shard selections and both back-pressure modes.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use logferry_core::{Config, Format, Logger, OnFull, Outcome, ShardSelection};

struct Case {
    format: Format,
    selection: ShardSelection,
    on_full: OnFull,
    threads: usize,
    per_thread: u64,
    max_file_size: u64,
    buffer_size: usize,
    direct: bool,
    batch: bool,
}

fn run(case: Case) {
    let dir = scratch();
    let path = dir.path().join("app.log");
    let sealed = Arc::new(Mutex::new(Vec::new()));
    let s2 = sealed.clone();
    let mut cfg = Config::new(&path);
    cfg.format = case.format;
    cfg.shard_selection = case.selection;
    cfg.on_full = case.on_full;
    cfg.num_shards = 4;
    cfg.buffer_size = case.buffer_size;
    cfg.max_file_size = case.max_file_size;
    cfg.preallocate_file_size = case.max_file_size;
    cfg.direct_io = case.direct;
    cfg.flush_interval = Duration::from_millis(20);
    cfg.on_sealed = Some(Arc::new(move |p: &std::path::Path| {
        s2.lock().unwrap().push(p.to_path_buf())
    }));
    let logger = Arc::new(Logger::new(cfg).unwrap());
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let dropped = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..case.threads)
        .map(|tid| {
            let (logger, accepted, dropped) = (logger.clone(), accepted.clone(), dropped.clone());
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let mut seq = 0;
                while seq < case.per_thread {
                    if case.batch {
                        let n = 16.min(case.per_thread - seq);
                        let recs: Vec<Vec<u8>> = (seq..seq + n)
                            .map(|s| record(tid, s, (s % 300) as usize))
                            .collect();
                        let refs: Vec<&[u8]> = recs.iter().map(|r| r.as_slice()).collect();
                        let (a, d) = logger.log_batch(&refs).unwrap();
                        if d == 0 {
                            mine.extend(seq..seq + n);
                        } else {
                            // A group is accepted or dropped as a whole; find out which from the files.
                            assert_eq!(a + d, n as usize);
                            dropped.fetch_add(d as u64, Ordering::Relaxed);
                            mine.extend((seq..seq + n).map(|s| s | 1 << 63));
                        }
                        seq += n;
                    } else {
                        let r = record(tid, seq, (seq % 300) as usize);
                        match logger.log_bytes(&r).unwrap() {
                            Outcome::Accepted => mine.push(seq),
                            Outcome::Dropped => {
                                dropped.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        seq += 1;
                    }
                }
                accepted.lock().unwrap().push((tid, mine));
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let stats_before = logger.stats();
    logger.close().unwrap();
    logger.close().unwrap(); // idempotent
    assert!(logger.log("late").is_err());

    let (seen, torn) = read_dir_records(dir.path(), "app");
    assert_eq!(torn, 0, "a cleanly closed logger leaves no torn tail");
    let attempted = case.threads as u64 * case.per_thread;
    let stats = logger.stats();
    assert_eq!(stats.total_logs + stats.dropped_logs, attempted);
    assert_eq!(stats.dropped_logs, dropped.load(Ordering::Relaxed));
    assert_eq!(stats_before.total_logs, stats.total_logs);
    let mut expect = 0u64;
    for (tid, seqs) in accepted.lock().unwrap().iter() {
        for &s in seqs {
            if s & 1 << 63 != 0 {
                continue; // batch with a dropped group: checked through the totals below
            }
            expect += 1;
            assert_eq!(
                seen.get(&(*tid, s)),
                Some(&1),
                "record t{tid}-{s} must appear exactly once"
            );
        }
    }
    assert!(
        seen.values().all(|&n| n == 1),
        "no record may be duplicated"
    );
    assert_eq!(
        seen.len() as u64,
        stats.total_logs,
        "files hold exactly the accepted records"
    );
    assert!(expect <= stats.total_logs);
    if case.on_full == OnFull::Block {
        assert_eq!(stats.dropped_logs, 0);
    }
    // Every file but the ones sealed was announced; nothing is left unsealed after close.
    let files = log_files(dir.path(), "app");
    let announced = sealed.lock().unwrap().clone();
    assert_eq!(
        files.len(),
        announced.len(),
        "every file is announced as sealed once"
    );
    assert!(!path.exists(), "close seals the active file");
    // One file per rotation plus the last (unless the last rotation happened right at the
    // end: an empty file is removed at close instead of being sealed).
    let n = files.len() as u64;
    assert!(
        n == stats.rotations + 1 || n == stats.rotations,
        "{n} files for {} rotations",
        stats.rotations
    );
    for f in &files {
        assert!(
            std::fs::metadata(f).unwrap().len() > 0,
            "no empty sealed file"
        );
    }
    // Text files are exactly their records: no NUL, no padding.
    if case.format == Format::Text {
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert!(!bytes.contains(&0), "{} holds a NUL byte", f.display());
            assert_eq!(bytes.last(), Some(&b'\n'));
        }
    }
}

fn base(format: Format, selection: ShardSelection) -> Case {
    Case {
        format,
        selection,
        on_full: OnFull::Block,
        threads: 4,
        per_thread: 50_000,
        max_file_size: 256 << 10,
        buffer_size: 64 << 10,
        direct: true,
        batch: false,
    }
}

#[test]
fn text_thread_rotation_storm() {
    run(base(Format::Text, ShardSelection::Thread));
}

#[test]
fn text_round_robin_rotation_storm() {
    run(base(Format::Text, ShardSelection::RoundRobin));
}

#[test]
fn framed_thread_rotation_storm() {
    run(base(Format::Framed, ShardSelection::Thread));
}

#[test]
fn framed_round_robin_rotation_storm() {
    run(base(Format::Framed, ShardSelection::RoundRobin));
}

#[test]
fn text_buffered_io() {
    run(Case {
        direct: false,
        ..base(Format::Text, ShardSelection::Thread)
    });
}

#[test]
fn drop_mode_accounts_for_every_record() {
    run(Case {
        on_full: OnFull::Drop,
        threads: 3,
        ..base(Format::Text, ShardSelection::RoundRobin)
    });
    run(Case {
        on_full: OnFull::Drop,
        threads: 3,
        ..base(Format::Framed, ShardSelection::Thread)
    });
}

#[test]
fn batches_in_both_formats() {
    run(Case {
        batch: true,
        ..base(Format::Text, ShardSelection::Thread)
    });
    run(Case {
        batch: true,
        ..base(Format::Framed, ShardSelection::RoundRobin)
    });
}

#[test]
fn one_writer_many_small_buffers() {
    run(Case {
        threads: 1,
        per_thread: 200_000,
        buffer_size: 16 << 10,
        ..base(Format::Text, ShardSelection::Thread)
    });
}

#[test]
fn records_of_one_thread_stay_in_order() {
    let dir = scratch();
    let path = dir.path().join("ord.log");
    let mut cfg = Config::new(&path);
    cfg.buffer_size = 32 << 10;
    cfg.num_shards = 4;
    cfg.max_file_size = 1 << 30;
    let logger = Arc::new(Logger::new(cfg).unwrap());
    let hs: Vec<_> = (0..3)
        .map(|tid| {
            let l = logger.clone();
            std::thread::spawn(move || {
                for s in 0..30_000 {
                    l.log_bytes(&record(tid, s, 20)).unwrap();
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    logger.close().unwrap();
    let files = log_files(dir.path(), "ord");
    assert_eq!(files.len(), 1);
    let (recs, _) = logferry_core::read_all(&files[0]).unwrap();
    let mut last = [None::<u64>; 3];
    for r in recs {
        let (t, s) = check(&r);
        assert_eq!(last[t].map_or(0, |x| x + 1), s, "thread {t} out of order");
        last[t] = Some(s);
    }
    assert_eq!(last, [Some(29_999); 3]);
}

#[test]
fn rotation_and_drop_really_happen() {
    let dir = scratch();
    let path = dir.path().join("d.log");
    let mut cfg = Config::new(&path);
    cfg.buffer_size = 16 << 10;
    cfg.num_shards = 2;
    cfg.max_file_size = 64 << 10;
    cfg.on_full = OnFull::Drop;
    let logger = Arc::new(Logger::new(cfg).unwrap());
    let hs: Vec<_> = (0..2)
        .map(|tid| {
            let l = logger.clone();
            std::thread::spawn(move || {
                for s in 0..100_000 {
                    l.log_bytes(&record(tid, s, 50)).unwrap();
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    logger.close().unwrap();
    let st = logger.stats();
    eprintln!("{st:?} {:?}", logger.flush_metrics());
    assert!(st.rotations >= 3, "tiny max_file_size must rotate: {st:?}");
    assert!(
        (st.rotations + 1) * (64 << 10) >= st.bytes_written,
        "no file may exceed max_file_size: {st:?}"
    );
    assert!(
        st.dropped_logs > 0,
        "drop mode under a flood must drop: {st:?}"
    );
    assert_eq!(st.total_logs + st.dropped_logs, 200_000);
    let (seen, _) = read_dir_records(dir.path(), "d");
    assert_eq!(seen.len() as u64, st.total_logs);
}
