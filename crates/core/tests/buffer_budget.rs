//! A manager's buffer budget: shares shrink as events open and grow back as they close, a
//! shrunken share really seals buffers earlier, records up to the configured size still go
//! through, and one event too many is refused with ERR_BUFFER_BUDGET, losing nothing.

mod common;

use std::time::Duration;

use common::*;
use logferry_core::{Config, Format, LoggerManager};

/// Every record of an event's files (sealed `{event}_{stamp}.log`), in file order.
fn event_records(dir: &std::path::Path, event: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for f in log_files(dir, &format!("{event}_")) {
        let (recs, torn) = logferry_core::read_all(&f).unwrap();
        assert_eq!(torn, None, "{}", f.display());
        out.extend(recs);
    }
    out
}

fn base(dir: &std::path::Path, format: Format) -> Config {
    let mut c = Config::new(dir.join("app.log"));
    c.format = format;
    c.buffer_size = 8 << 20; // 8 shards of 1 MiB
    c.num_shards = 8;
    c.flush_interval = Duration::from_secs(3600);
    c.direct_io = false;
    c
}

#[test]
fn shares_follow_the_number_of_open_events() {
    let dir = scratch();
    // 16 MiB: one event gets its full 2 x 8 x 1 MiB, sixteen get 64 KiB per shard buffer.
    let m = LoggerManager::with_budget(base(dir.path(), Format::Text), 16 << 20).unwrap();
    m.initialize_event_logger("e0").unwrap();
    assert_eq!(m.shard_buffer_limit(), 1 << 20);
    assert_eq!(m.event_logger("e0").unwrap().shard_buffer_limit(), 1 << 20);
    for i in 1..4 {
        m.initialize_event_logger(&format!("e{i}")).unwrap();
    }
    assert_eq!(m.shard_buffer_limit(), 256 << 10);
    for i in 4..16 {
        m.initialize_event_logger(&format!("e{i}")).unwrap();
    }
    for i in 0..16 {
        let l = m.event_logger(&format!("e{i}")).unwrap();
        assert_eq!(l.shard_buffer_limit(), 64 << 10, "e{i}");
        // The largest record does not shrink with the share.
        assert_eq!(l.max_record_size(), (1 << 20) - 1);
    }
    let e = m.log_with_event("e16", "one too many").unwrap_err();
    assert_eq!(e.code(), "ERR_BUFFER_BUDGET");
    assert!(e.to_string().contains("at most 16"), "{e}");
    assert!(!m.has_event_logger("e16"));
    // Closing one frees its share for the newcomer; closing more grows the others back.
    assert!(m.close_event_logger("e15").unwrap());
    m.log_with_event("e16", "now it fits").unwrap();
    for i in 8..17 {
        m.close_event_logger(&format!("e{i}")).unwrap();
    }
    assert_eq!(
        m.event_logger("e0").unwrap().shard_buffer_limit(),
        128 << 10
    );
    m.close().unwrap();
    assert_eq!(
        event_records(dir.path(), "e16"),
        vec![b"now it fits".to_vec()]
    );
}

#[test]
fn a_lowered_share_seals_buffers_earlier_and_loses_nothing() {
    for format in [Format::Text, Format::Framed] {
        let dir = scratch();
        let m = LoggerManager::with_budget(base(dir.path(), format), 16 << 20).unwrap();
        for i in 0..16 {
            m.initialize_event_logger(&format!("e{i}")).unwrap();
        }
        // One thread: one shard of e0 takes every record; 64 KiB buffers mean a buffer written
        // per 64 KiB (the interval is an hour, so only full buffers are written). A batch holds
        // at most the shard's two buffers, so 4 MiB take at least 32 batches (1 MiB buffers: 2-4).
        let big = vec![b'x'; 600 << 10]; // longer than the share: goes alone into a buffer
        let mut n = 0u64;
        let mut bytes = 0usize;
        while bytes < 4 << 20 {
            let r = record(0, n, 200);
            bytes += r.len() + 4;
            m.log_bytes_with_event("e0", &r).unwrap();
            n += 1;
        }
        m.log_bytes_with_event("e0", &big).unwrap();
        let s = m.event_logger("e0").unwrap().stats();
        assert!(
            s.flushes >= 30,
            "{format:?}: {} flushes for 4 MiB",
            s.flushes
        );
        m.close().unwrap();
        let recs = event_records(dir.path(), "e0");
        assert_eq!(recs.len() as u64, n + 1, "{format:?}");
        for (i, r) in recs[..n as usize].iter().enumerate() {
            assert_eq!(check(r), (0, i as u64));
        }
        assert_eq!(recs[n as usize], big);
    }
}

#[test]
fn a_budget_too_small_for_one_event_is_a_config_error() {
    let dir = scratch();
    let e = LoggerManager::with_budget(base(dir.path(), Format::Text), (1 << 20) - 1)
        .err()
        .unwrap();
    assert_eq!(e.code(), "ERR_INVALID_CONFIG");
    assert!(e.to_string().contains("maxBufferBytes"), "{e}");
}
