//! Close gives up in a batch that rotated: the batch's first buffer went into a file that was
//! sealed by the rotation, the second found the disk full in the new file. ERR_UNFLUSHED must
//! count only the second buffer: the first is in the sealed file and counted as written, so
//! counting it as unwritten too would report more bytes than were accepted.
//! The disk is a 256 KiB tmpfs filled with ballast to 12 KiB free (needs root; CI fails
//! instead of skipping, see common::Tmpfs).

mod common;

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use common::*;
use logferry_core::{Config, Error, Logger, OnFull, Outcome, ShardSelection};

/// Fills the disk with a ballast file, then frees `free` bytes of it.
fn leave_free(dir: &std::path::Path, free: u64) {
    let path = dir.join("ballast");
    let mut f = std::fs::File::create(&path).unwrap();
    let page = [0xabu8; 4096];
    let mut size = 0u64;
    loop {
        match f.write(&page) {
            Ok(0) => break,
            Ok(n) => size += n as u64,
            Err(e) if e.raw_os_error() == Some(ENOSPC) => break,
            Err(e) => panic!("ballast: {e}"),
        }
    }
    f.set_len(size - free).unwrap();
    f.sync_all().unwrap();
}

const ENOSPC: i32 = 28;

#[test]
fn close_giving_up_after_a_rotation_mid_batch_counts_only_what_is_not_in_a_file() {
    let scratch = scratch();
    let Some(disk) = Tmpfs::mount(scratch.path(), "256k") else {
        return;
    };
    leave_free(&disk.path, 12 << 10);

    let mut cfg = Config::new(disk.path.join("app.log"));
    cfg.num_shards = 2;
    cfg.shard_selection = ShardSelection::RoundRobin;
    cfg.buffer_size = 256 << 10; // 128 KiB a shard: nothing is sealed before close
    cfg.on_full = OnFull::Drop;
    // Every file takes one buffer: after the first buffer of a batch the writer rotates.
    cfg.max_file_size = 4096;
    cfg.preallocate_file_size = 0;
    // No periodic swap: close's seal_all puts both shards' buffers in one batch.
    cfg.flush_interval = Duration::from_secs(600);
    cfg.flush_timeout = Duration::from_millis(300);
    let logger = Logger::new(cfg).unwrap();

    // ~9 KB a shard: the first buffer fits in the 12 KiB left, the second cannot.
    let mut accepted = HashSet::new();
    let mut accepted_bytes = 0u64;
    for seq in 0..180u64 {
        let tid = (seq % 2) as usize;
        let rec = record(tid, seq, 80);
        assert_eq!(logger.log_bytes(&rec).unwrap(), Outcome::Accepted);
        accepted.insert((tid, seq));
        accepted_bytes += rec.len() as u64 + 1;
    }
    assert_eq!(
        logger.stats().bytes_written,
        0,
        "nothing may be written before close"
    );

    let not_written = match logger.close() {
        Err(Error::Unflushed { bytes, source }) => {
            assert!(
                source.to_string().contains("No space left on device"),
                "{source}"
            );
            bytes
        }
        r => panic!("close on a full disk: {r:?}"),
    };
    let st = logger.stats();
    assert_eq!(st.total_logs, 180);
    assert!(
        st.bytes_written > 0,
        "the first buffer did not reach a file"
    );
    assert!(
        not_written > 0,
        "the second buffer cannot have been written"
    );
    assert_eq!(
        st.bytes_written + not_written,
        accepted_bytes,
        "written {} + reported unwritten {not_written} != accepted {accepted_bytes}",
        st.bytes_written
    );

    assert!(st.rotations >= 1, "the batch did not rotate: {st:?}");

    // The files hold exactly the bytes counted as written: whole accepted records, once each.
    let mut in_files = 0u64;
    let mut seen = HashSet::new();
    for f in log_files(&disk.path, "app") {
        let (recs, torn) = logferry_core::read_all(&f).unwrap();
        assert_eq!(torn, None, "{}", f.display());
        for r in recs {
            let id = check(&r);
            assert!(accepted.contains(&id));
            assert!(seen.insert(id), "{id:?} twice");
            in_files += r.len() as u64 + 1;
        }
    }
    assert_eq!(in_files, st.bytes_written);
}
