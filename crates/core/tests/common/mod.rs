//! Helpers shared by the integration tests: records with ids and checksums, file listing.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A record that names its writer and sequence number and carries a checksum of itself.
pub fn record(tid: usize, seq: u64, extra: usize) -> Vec<u8> {
    let body: String = (0..extra)
        .map(|i| (b'a' + ((seq as usize + i) % 26) as u8) as char)
        .collect();
    let head = format!("t{tid}-{seq}-{body}");
    let crc = crc32c::crc32c(head.as_bytes());
    format!("{head}-{crc:08x}").into_bytes()
}

/// Parses and verifies a record; panics with the record if it is torn or altered.
pub fn check(rec: &[u8]) -> (usize, u64) {
    let s = std::str::from_utf8(rec).unwrap_or_else(|_| panic!("not utf8: {rec:?}"));
    let (head, crc) = s
        .rsplit_once('-')
        .unwrap_or_else(|| panic!("malformed record {s:?}"));
    let want = u32::from_str_radix(crc, 16).unwrap_or_else(|_| panic!("bad crc in {s:?}"));
    assert_eq!(
        crc32c::crc32c(head.as_bytes()),
        want,
        "record content altered: {s:?}"
    );
    let mut parts = head.splitn(3, '-');
    let tid = parts.next().unwrap()[1..].parse().unwrap();
    let seq = parts.next().unwrap().parse().unwrap();
    (tid, seq)
}

/// Log files in `dir` (every name that starts with `stem`).
pub fn log_files(dir: &Path, stem: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(stem))
        .collect();
    v.sort();
    v
}

/// Reads every record of every file; returns count per (tid, seq) and the files' torn tails.
pub fn read_dir_records(dir: &Path, stem: &str) -> (HashMap<(usize, u64), u32>, usize) {
    let mut seen = HashMap::new();
    let mut torn = 0;
    for f in log_files(dir, stem) {
        let (recs, t) =
            logferry_core::read_all(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if t.is_some() {
            torn += 1;
        }
        for r in recs {
            *seen.entry(check(&r)).or_insert(0) += 1;
        }
    }
    (seen, torn)
}

/// A scratch directory on a real disk (O_DIRECT works there), removed on drop.
pub fn scratch() -> tempfile::TempDir {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(base).unwrap();
    tempfile::tempdir_in(base).unwrap()
}

/// A tmpfs of `size` (mount's syntax, e.g. "64m") mounted under `dir`, unmounted on drop.
pub struct Tmpfs {
    pub path: PathBuf,
}

impl Tmpfs {
    /// Mounts one, or returns None where mounting is not allowed (not root). In CI (any
    /// non-empty CI, as test/servers/ci.ts) that is a failure, never a skip.
    pub fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let path = dir.join(format!("tmpfs-{size}"));
        std::fs::create_dir_all(&path).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            assert!(
                std::env::var("CI").map_or(true, |v| v.is_empty()),
                "CI must be able to mount a tmpfs"
            );
            eprintln!("!!! tmpfs test NOT RUN: cannot mount tmpfs (not root?)");
            return None;
        }
        Some(Tmpfs { path })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .args(["-l"])
            .arg(&self.path)
            .status();
    }
}

/// Bytes of disk a file holds (its blocks: data and reservations alike).
pub fn allocated(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().blocks() * 512
}
