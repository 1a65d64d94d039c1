//! Model-checked tests (loom) of the reservation / swap / flush protocol: loom explores the
//! interleavings of writers, swaps and the flusher, and every execution must deliver each
//! record exactly once, in per-writer order. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p logferry-core --release --lib model_tests`.
//! Loom checks the atomics and locks of the protocol; the record bytes themselves live in
//! plain memory, which loom does not model.

use crate::config::{Format, OnFull, ShardSelection};
use crate::shard::HEADROOM;
use crate::shard_set::{Chunk, Outcome, ShardSet, Work};
use loom::sync::Arc;

fn collect(out: &mut Vec<u8>, chunks: &[Chunk]) {
    for c in chunks {
        // SAFETY: the flusher owns sealed chunks while the sink runs.
        let s = unsafe { std::slice::from_raw_parts(c.base.add(HEADROOM), c.len) };
        out.extend_from_slice(s);
    }
}

fn flusher(set: Arc<ShardSet>) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let work = set.wait_work(std::time::Instant::now());
        let mut sink = |c: &[Chunk]| {
            collect(&mut out, c);
            Ok(())
        };
        match work {
            Work::Close => {
                set.seal_all(&mut sink).unwrap();
                while set.has_ready() {
                    set.flush_batch(&mut sink).unwrap();
                }
                break;
            }
            _ => {
                set.flush_batch(&mut sink).unwrap();
            }
        }
    }
    out
}

fn check(out: &[u8], writers: usize, per: usize, dropped: usize) {
    let text = std::str::from_utf8(out).unwrap();
    let mut next = vec![0usize; writers];
    let mut n = 0;
    for line in text.lines() {
        let b = line.as_bytes();
        assert_eq!(b.len(), 2, "torn record {line:?} in {text:?}");
        let w = (b[0] - b'a') as usize;
        let s = (b[1] - b'0') as usize;
        assert!(
            s >= next[w],
            "writer {w} out of order or duplicated in {text:?}"
        );
        next[w] = s + 1;
        n += 1;
    }
    assert_eq!(n + dropped, writers * per, "records lost: {text:?}");
}

fn model(on_full: OnFull, writers: usize, per: usize, cap: usize) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b.max_branches = 100_000;
    b.check(move || {
        let set = Arc::new(
            ShardSet::new(1, cap, Format::Text, ShardSelection::Thread, on_full, 1).unwrap(),
        );
        let f = {
            let set = set.clone();
            loom::thread::spawn(move || flusher(set))
        };
        let hs: Vec<_> = (0..writers)
            .map(|w| {
                let set = set.clone();
                loom::thread::spawn(move || {
                    let mut dropped = 0;
                    for s in 0..per {
                        let rec = [b'a' + w as u8, b'0' + s as u8];
                        match set.write(2, false, 1, |d| d.copy_from_slice(&rec)).unwrap() {
                            Outcome::Accepted => {}
                            Outcome::Dropped => dropped += 1,
                        }
                    }
                    dropped
                })
            })
            .collect();
        let dropped: usize = hs.into_iter().map(|h| h.join().unwrap()).sum();
        set.request_close();
        let out = f.join().unwrap();
        check(&out, writers, per, dropped);
        if on_full == OnFull::Block {
            assert_eq!(dropped, 0);
        }
    });
}

#[test]
fn block_two_writers_swap_under_contention() {
    // 3-byte records in 3-byte buffers: every record forces a swap.
    model(OnFull::Block, 2, 2, 3);
}

#[test]
fn block_one_writer_waits_for_flush() {
    model(OnFull::Block, 1, 5, 3);
}

#[test]
fn drop_mode_counts_every_refusal() {
    model(OnFull::Drop, 2, 2, 3);
}
