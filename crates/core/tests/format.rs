//! On-disk formats: exact text files, framed checksums, torn tails, corruption offsets,
//! preallocation that never shows, periodic flush of quiet loggers.

mod common;

use std::time::Duration;

use common::*;
use logferry_core::{read_all, Config, Format, Logger};

fn logger(dir: &std::path::Path, format: Format) -> Logger {
    let mut c = Config::new(dir.join("f.log"));
    c.format = format;
    c.buffer_size = 64 << 10;
    c.num_shards = 4;
    c.max_file_size = 1 << 20;
    c.preallocate_file_size = 64 << 20;
    Logger::new(c).unwrap()
}

#[test]
fn text_file_is_exactly_the_records() {
    let dir = scratch();
    let l = logger(dir.path(), Format::Text);
    let mut want = Vec::new();
    for i in 0..5000 {
        let r = format!("line {i} {}", "x".repeat(i % 97));
        want.extend_from_slice(r.as_bytes());
        want.push(b'\n');
        l.log(&r).unwrap();
    }
    l.log("already terminated\n").unwrap();
    want.extend_from_slice(b"already terminated\n");
    l.close().unwrap();
    let files = log_files(dir.path(), "f");
    assert_eq!(files.len(), 1);
    assert_eq!(std::fs::read(&files[0]).unwrap(), want);
    // The 64 MiB preallocation is gone: the file occupies about its size.
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(&files[0]).unwrap();
    assert!(
        md.blocks() * 512 <= md.len() + 8192,
        "preallocation left behind: {} blocks",
        md.blocks()
    );
}

#[test]
fn framed_is_binary_safe_and_detects_corruption() {
    let dir = scratch();
    let l = logger(dir.path(), Format::Framed);
    let recs: Vec<Vec<u8>> = (0..20_000u32)
        .map(|i| {
            let mut r = i.to_le_bytes().to_vec();
            r.extend_from_slice(b"\n\0\xff binary\r\n");
            r.extend(std::iter::repeat_n((i % 251) as u8, (i % 50) as usize));
            r
        })
        .collect();
    for r in &recs {
        l.log_bytes(r).unwrap();
    }
    l.log_bytes(b"").unwrap();
    l.close().unwrap();
    let files = log_files(dir.path(), "f");
    let (got, torn) = read_all(&files[0]).unwrap();
    assert_eq!(torn, None);
    assert_eq!(got.len(), recs.len() + 1);
    assert_eq!(&got[..recs.len()], &recs[..]);
    assert!(got[recs.len()].is_empty());

    let bytes = std::fs::read(&files[0]).unwrap();
    assert_eq!(bytes.len() % 4096, 0);
    // Flip one payload byte in the second block: corruption, with that block's offset.
    let mut second = 4096;
    while &bytes[second..second + 4] != b"LFB1" {
        second += 4096;
    }
    let mut bad = bytes.clone();
    bad[second + 40] ^= 0x55;
    let p = dir.path().join("bad.log");
    std::fs::write(&p, &bad).unwrap();
    let e = read_all(&p).unwrap_err();
    assert_eq!(e.code(), "ERR_CORRUPT");
    assert!(e.to_string().contains(&format!("offset {second}")), "{e}");

    // A torn last block (crash mid-write: header and part of the payload) ends the file cleanly.
    let mut last = bytes.len() - 4096;
    while &bytes[last..last + 4] != b"LFB1" {
        last -= 4096;
    }
    let p = dir.path().join("torn.log");
    std::fs::write(&p, &bytes[..last + 32 + 10]).unwrap();
    let (got2, torn) = read_all(&p).unwrap();
    assert!(torn.is_some());
    assert!(got2.len() < got.len() && got2.len() > 1000);
    assert_eq!(&got2[..], &got[..got2.len()]);
}

#[test]
fn torn_text_tail_is_reported_not_returned() {
    let dir = scratch();
    let p = dir.path().join("t.log");
    std::fs::write(&p, b"one\ntwo\nthr").unwrap();
    let (recs, torn) = read_all(&p).unwrap();
    assert_eq!(recs, vec![b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(torn, Some(8));
}

#[test]
fn quiet_logger_is_flushed_on_the_interval() {
    let dir = scratch();
    let mut c = Config::new(dir.path().join("q.log"));
    c.flush_interval = Duration::from_millis(100);
    c.buffer_size = 1 << 20;
    let l = Logger::new(c).unwrap();
    l.log("hello").unwrap();
    let p = dir.path().join("q.log");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&p).unwrap().len() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "a partial buffer must reach the file on the interval"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(std::fs::read(&p).unwrap(), b"hello\n");
    l.log("world").unwrap();
    l.flush().unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"hello\nworld\n");
    l.close().unwrap();
}

#[test]
fn unique_sealed_names_in_one_second() {
    let dir = scratch();
    let mut c = Config::new(dir.path().join("r.log"));
    c.buffer_size = 4096;
    c.num_shards = 1;
    c.max_file_size = 4096;
    let l = Logger::new(c).unwrap();
    for i in 0..2000 {
        l.log(&format!("{i:>60}")).unwrap();
    }
    l.close().unwrap();
    let st = l.stats();
    let files = log_files(dir.path(), "r");
    assert!(st.rotations >= 20, "{st:?}");
    assert!(files.len() as u64 == st.rotations + 1 || files.len() as u64 == st.rotations);
    let total: usize = files.iter().map(|f| read_all(f).unwrap().0.len()).sum();
    assert_eq!(total, 2000);
}
