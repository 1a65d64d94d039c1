//! Which format a file is read as (docs/format.md "Which format a file is read as"): a text
//! log's content never makes it framed: text that starts with the framed magic, with the
//! magic and NUL bytes, empty files; framed files are still recognised, also with a damaged
//! first header (reported corrupt at offset 0).

mod common;

use std::path::PathBuf;

use common::*;
use logferry_core::frame::{BlockHeader, FRAME_HEADER_LEN};
use logferry_core::{read_all, Config, Format, Logger, Reader};

fn text_log(dir: &std::path::Path, name: &str, records: &[Vec<u8>]) -> PathBuf {
    let mut cfg = Config::new(dir.join(format!("{name}.log")));
    cfg.buffer_size = 16 << 10;
    cfg.num_shards = 1;
    cfg.preallocate_file_size = 0;
    let logger = Logger::new(cfg).unwrap();
    for r in records {
        logger.log_bytes(r).unwrap();
    }
    logger.close().unwrap();
    let files = log_files(dir, name);
    assert_eq!(files.len(), 1);
    files[0].clone()
}

fn assert_text(path: &std::path::Path, want: &[Vec<u8>]) {
    assert_eq!(Reader::open(path).unwrap().format(), Format::Text);
    let (recs, torn) = read_all(path).unwrap();
    assert_eq!(torn, None);
    assert_eq!(recs.len(), want.len());
    assert!(recs.iter().zip(want).all(|(a, b)| a == b));
}

#[test]
fn text_that_starts_with_the_framed_magic_is_text() {
    let dir = scratch();
    // Plain text after the magic; then the magic with the version and flags bytes of a real
    // header (NULs included) and a wrong checksum; then a whole header with its checksum
    // broken; each over more than a MiB of lines so block offsets are looked at too.
    let mut forged = BlockHeader {
        seq: 0,
        payload_len: 8,
        records: 1,
        payload_crc: 0,
    }
    .encode()
    .to_vec();
    forged[28] ^= 1;
    let firsts: [Vec<u8>; 3] = [
        b"LFB1 is how this line starts".to_vec(),
        b"LFB1\x01\x00\x00\x00\x00\x00\x00\x00 and NULs\x00 too".to_vec(),
        forged.iter().copied().filter(|&b| b != b'\n').collect(),
    ];
    for (i, first) in firsts.iter().enumerate() {
        let mut records = vec![first.clone()];
        for seq in 0..30_000u64 {
            records.push(record(0, seq, (seq % 50) as usize));
        }
        // Records holding NUL bytes, and the magic again at the start of later lines.
        records.push(b"\x00\x00\x00".to_vec());
        records.push(b"LFB1LFB1".to_vec());
        let path = text_log(dir.path(), &format!("t{i}"), &records);
        assert!(std::fs::metadata(&path).unwrap().len() > 1 << 20);
        assert_text(&path, &records);
    }
}

#[test]
fn short_and_empty_text_files_are_text() {
    let dir = scratch();
    for (name, bytes) in [
        ("empty", &b""[..]),
        ("magic", b"LFB1"),
        ("magic-nl", b"LFB1\n"),
        ("nuls", b"\x00\x00\x00\x00\n\x00\n"),
        ("short-header", b"LFB1\x01\x00\x00\x00\x00\x00\x00\x00\n"),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(Reader::open(&p).unwrap().format(), Format::Text, "{name}");
        let (recs, torn) = read_all(&p).unwrap();
        let want: Vec<&[u8]> = bytes
            .split(|&b| b == b'\n')
            .take(bytes.iter().filter(|&&b| b == b'\n').count())
            .collect();
        assert_eq!(recs, want, "{name}");
        assert_eq!(
            torn,
            (!bytes.is_empty() && !bytes.ends_with(b"\n")).then_some(0),
            "{name}"
        );
    }
}

fn framed_log(dir: &std::path::Path, n: u64) -> (PathBuf, Vec<Vec<u8>>) {
    let mut cfg = Config::new(dir.join("f.log"));
    cfg.format = Format::Framed;
    cfg.buffer_size = 8 << 10;
    cfg.num_shards = 1;
    cfg.preallocate_file_size = 0;
    let logger = Logger::new(cfg).unwrap();
    let records: Vec<Vec<u8>> = (0..n).map(|seq| record(0, seq, 30)).collect();
    for r in &records {
        logger.log_bytes(r).unwrap();
    }
    logger.close().unwrap();
    (log_files(dir, "f")[0].clone(), records)
}

#[test]
fn framed_files_are_still_framed() {
    let dir = scratch();
    let (path, records) = framed_log(dir.path(), 2000);
    assert_eq!(Reader::open(&path).unwrap().format(), Format::Framed);
    let (recs, torn) = read_all(&path).unwrap();
    assert_eq!((recs, torn), (records, None));
}

#[test]
fn a_framed_file_with_a_damaged_first_header_is_reported_corrupt() {
    let dir = scratch();
    let (path, _) = framed_log(dir.path(), 2000);
    let good = std::fs::read(&path).unwrap();
    assert!(good.len() > 3 * 4096);
    // A flipped bit in the header's sequence number (the length still points at block 2), in
    // its length (only the scan of the first MiB finds block 2), and in its checksum.
    for at in [9, 17, 29] {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        assert!(BlockHeader::decode(&bad[..FRAME_HEADER_LEN]).is_err());
        std::fs::write(&path, &bad).unwrap();
        assert_eq!(
            Reader::open(&path).unwrap().format(),
            Format::Framed,
            "byte {at}"
        );
        let e = read_all(&path).unwrap_err();
        assert_eq!(e.code(), "ERR_CORRUPT");
        assert!(e.to_string().contains("offset 0:"), "{e}");
    }
}

/// The bar, stated: content whose first 32 bytes are a framed header with a correct
/// checksum (NUL bytes at fixed places and a CRC32C, never text without NULs) is framed.
#[test]
fn a_whole_checked_header_is_framed() {
    let dir = scratch();
    let payload = b"\x02\x00\x00\x00hi";
    let mut file = BlockHeader {
        seq: 0,
        payload_len: payload.len() as u32,
        records: 1,
        payload_crc: crc32c::crc32c(payload),
    }
    .encode()
    .to_vec();
    file.extend_from_slice(payload);
    file.resize(4096, 0);
    let p = dir.path().join("one-block");
    std::fs::write(&p, &file).unwrap();
    assert_eq!(Reader::open(&p).unwrap().format(), Format::Framed);
    assert_eq!(read_all(&p).unwrap().0, vec![b"hi".to_vec()]);
}
