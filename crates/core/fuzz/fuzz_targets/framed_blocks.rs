//! Framed files built from well-formed blocks (valid checksums, so the reader looks past
//! them), some of which lie (a payload length up to 4 GiB, a wrong record count, a record
//! length running out of its block), then torn, bit-flipped or followed by zeros. The records
//! read are always the first records of the honest blocks before the first lie, in order, and
//! an undamaged file of honest blocks reads back exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logferry_core::frame::{padded, BlockHeader, FRAME_HEADER_LEN};
use logferry_core::Format;
use logferry_core_fuzz::{read_checked, TrackingAlloc};

#[global_allocator]
static ALLOC: TrackingAlloc = TrackingAlloc;

struct Input<'a>(&'a [u8], usize);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        b
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    fn more(&self) -> bool {
        self.1 < self.0.len()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data, 0);
    let damage = inp.byte();
    let mut file = Vec::new();
    let mut honest = Vec::new(); // records of the blocks before the first lie
    let mut lied = false;
    let mut seq = 0u64;
    while inp.more() && file.len() < 64 * 4096 {
        let n = inp.byte() % 16;
        let mut payload = Vec::new();
        let mut recs = Vec::new();
        for _ in 0..n {
            let len = inp.byte() as usize;
            let rec: Vec<u8> = (0..len).map(|_| inp.byte()).collect();
            payload.extend_from_slice(&(rec.len() as u32).to_le_bytes());
            payload.extend_from_slice(&rec);
            recs.push(rec);
        }
        let mut h = BlockHeader {
            seq,
            payload_len: payload.len() as u32,
            records: n as u32,
            payload_crc: 0,
        };
        let lies_now = match inp.byte() % 8 {
            1 => {
                let claimed = h.payload_len.wrapping_add(inp.u32());
                let lies = claimed != h.payload_len;
                h.payload_len = claimed;
                lies
            }
            2 => {
                h.records = h.records.wrapping_add(1 + inp.byte() as u32);
                true
            }
            3 if payload.len() >= 4 => {
                // The first record's length runs out of the block.
                let bad = (payload.len() as u32).saturating_add(inp.u32() | 1);
                payload[..4].copy_from_slice(&bad.to_le_bytes());
                true
            }
            _ => false,
        };
        h.payload_crc = crc32c::crc32c(&payload);
        let start = file.len();
        file.extend_from_slice(&h.encode());
        file.extend_from_slice(&payload);
        file.resize(start + padded(FRAME_HEADER_LEN + payload.len()), 0);
        if !lied && !lies_now {
            honest.extend(recs);
        }
        lied |= lies_now;
        seq += 1;
    }
    let mut damaged = lied;
    if damage & 1 != 0 && !file.is_empty() {
        let at = inp.u32() as usize % file.len();
        file.truncate(at);
        damaged = true;
    }
    if damage & 2 != 0 && !file.is_empty() {
        let at = inp.u32() as usize % file.len();
        file[at] ^= 1 << (inp.byte() % 8);
        damaged = true;
    }
    // A zero tail (what preallocation leaves after a crash) may be reported as a torn tail.
    let zero_tail = damage & 4 != 0;
    if zero_tail {
        let zeros = file.len() + 1 + 4096 * (inp.byte() as usize % 4);
        file.resize(zeros, 0);
    }
    let out = read_checked(&file);
    if seq == 0 {
        return; // no block: nothing framed to read (zeros read as text)
    }
    if out.format == Format::Text {
        // Known limit: damage to the first header can leave a file with no intact header
        // to be recognised by; it is then read as text (never with the magic intact and
        // an undamaged file).
        assert!(damaged, "an undamaged framed file read as text");
        return;
    }
    assert!(
        out.records.len() <= honest.len() && out.records[..] == honest[..out.records.len()],
        "records read are not the first honest records: read {:?}, honest {:?}, corrupt {:?}, torn {:?}",
        out.records, honest, out.corrupt, out.torn_tail
    );
    if !damaged {
        assert_eq!(
            out.records.len(),
            honest.len(),
            "an undamaged file lost records"
        );
        assert!(
            out.corrupt.is_none(),
            "undamaged file reported corrupt: {:?}",
            out.corrupt
        );
        if !zero_tail {
            assert_eq!(out.torn_tail, None, "undamaged file reported torn");
        }
    }
});
