//! End-to-end engine benchmark: 100-byte and 4 KiB records from 1, 2 and 4 writer threads to
//! a real file (timed until close returns, so the data is on disk), against
//! `dd if=/dev/zero bs=4M oflag=direct` on the same disk in the same run; plus a criterion
//! measurement of a single `log_bytes` call.
//!
//! `cargo bench -p logferry-core --bench throughput` (LOGFERRY_BENCH_DIR picks the disk;
//! default: target/bench-scratch). Targets: >= 15 M records/s for 100-byte records from one
//! thread; >= 80% of dd's bandwidth with 4 KiB records.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use logferry_core::{Config, Logger};

fn scratch() -> PathBuf {
    let d = std::env::var_os("LOGFERRY_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-scratch")
        });
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// dd's bandwidth in MB/s writing `mib` MiB with O_DIRECT.
fn dd(dir: &Path, mib: usize) -> f64 {
    let f = dir.join("dd.bin");
    let t = Instant::now();
    let st = Command::new("dd")
        .args([
            "if=/dev/zero",
            &format!("of={}", f.display()),
            "bs=4M",
            &format!("count={}", mib / 4),
            "oflag=direct",
            "status=none",
        ])
        .status()
        .expect("dd");
    assert!(st.success());
    let secs = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&f);
    (mib as f64 * 1048576.0) / secs / 1e6
}

struct Run {
    records: u64,
    secs: f64,
    mb_s: f64,
    p50: Duration,
    p99: Duration,
}

fn run(dir: &Path, rec_size: usize, threads: usize, total_bytes: u64) -> Run {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("bench")
        {
            std::fs::remove_file(p).unwrap();
        }
    }
    let mut cfg = Config::new(dir.join("bench.log"));
    cfg.max_file_size = 64 << 30;
    cfg.preallocate_file_size = total_bytes + (64 << 20);
    cfg.direct_io = std::env::var("LOGFERRY_BENCH_DIRECT").map_or(true, |v| v != "0");
    let logger = Arc::new(Logger::new(cfg).unwrap());
    let per = total_bytes / rec_size as u64 / threads as u64;
    let t0 = Instant::now();
    let hs: Vec<_> = (0..threads)
        .map(|t| {
            let l = logger.clone();
            std::thread::spawn(move || {
                let mut rec = vec![b'a' + t as u8; rec_size];
                rec[rec_size - 1] = b'\n';
                let mut lat = Vec::with_capacity((per / 256) as usize + 1);
                for i in 0..per {
                    if i & 255 == 0 {
                        let s = Instant::now();
                        l.log_bytes(&rec).unwrap();
                        lat.push(s.elapsed());
                    } else {
                        l.log_bytes(&rec).unwrap();
                    }
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<Duration> = hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
    logger.close().unwrap();
    let secs = t0.elapsed().as_secs_f64();
    lat.sort();
    let records = per * threads as u64;
    assert_eq!(logger.stats().total_logs, records);
    if std::env::var_os("LOGFERRY_BENCH_VERBOSE").is_some() {
        eprintln!("{:?}", logger.flush_metrics());
    }
    let bytes = logger.stats().bytes_written;
    Run {
        records,
        secs,
        mb_s: bytes as f64 / secs / 1e6,
        p50: lat[lat.len() / 2],
        p99: lat[lat.len() * 99 / 100],
    }
}

fn main() {
    let dir = scratch();
    let quick = std::env::var_os("LOGFERRY_BENCH_QUICK").is_some();
    let gib: u64 = if quick { 256 << 20 } else { 2 << 30 };
    let dd_mb = dd(&dir, (gib >> 20) as usize);
    println!(
        "\n## logferry-core end-to-end ({} MiB per run, timed until close)\n",
        gib >> 20
    );
    println!("dd if=/dev/zero bs=4M oflag=direct, same disk, same run: {dd_mb:.0} MB/s\n");
    println!(
        "| record | threads | M records/s | MB/s | % of dd | p50 write | p99 write | target |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---|");
    for rec in [100usize, 4096] {
        for threads in [1usize, 2, 4] {
            let r = run(&dir, rec, threads, gib);
            let mrec = r.records as f64 / r.secs / 1e6;
            let pct = r.mb_s / dd_mb * 100.0;
            let target = match (rec, threads) {
                (100, 1) => format!(">= 15 M/s: {}", if mrec >= 15.0 { "met" } else { "MISSED" }),
                (4096, _) => format!(
                    ">= 80% of dd: {}",
                    if pct >= 80.0 { "met" } else { "MISSED" }
                ),
                _ => String::new(),
            };
            println!(
                "| {rec} B | {threads} | {mrec:.2} | {:.0} | {pct:.0}% | {:?} | {:?} | {target} |",
                r.mb_s, r.p50, r.p99
            );
        }
    }
    for e in std::fs::read_dir(&dir).unwrap() {
        let _ = std::fs::remove_file(e.unwrap().path());
    }

    // Criterion: one call, 100-byte record, one thread (the cost a caller sees).
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3));
    let mut cfg = Config::new(dir.join("crit.log"));
    cfg.max_file_size = 1 << 30;
    cfg.preallocate_file_size = 0;
    let logger = Logger::new(cfg).unwrap();
    let rec = [b'x'; 100];
    let mut g = c.benchmark_group("log_bytes");
    g.throughput(Throughput::Elements(1));
    g.bench_function("100B", |b| {
        b.iter(|| logger.log_bytes(std::hint::black_box(&rec)).unwrap())
    });
    g.finish();
    drop(logger);
    for e in std::fs::read_dir(&dir).unwrap() {
        let _ = std::fs::remove_file(e.unwrap().path());
    }
    c.final_summary();
}
