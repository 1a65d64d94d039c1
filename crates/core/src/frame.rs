//! The `framed` format's block header (see docs/format.md).
//!
//! ```text
//! offset size field
//!      0    4 magic "LFB1"
//!      4    2 version (1)
//!      6    2 flags (0)
//!      8    8 sequence number of the block in the file, from 0
//!     16    4 payload length in bytes (records only, header and padding excluded)
//!     20    4 record count
//!     24    4 CRC32C of the payload
//!     28    4 CRC32C of bytes 0..28
//! ```
//! The payload is a run of records, each a little-endian u32 length followed by the bytes.
//! Blocks start at multiples of 4096; zero bytes pad a block to the next multiple.

pub const MAGIC: [u8; 4] = *b"LFB1";
pub const VERSION: u16 = 1;
pub const FRAME_HEADER_LEN: usize = 32;
pub const RECORD_PREFIX_LEN: usize = 4;
pub const BLOCK_ALIGN: usize = crate::config::ALIGN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    pub seq: u64,
    pub payload_len: u32,
    pub records: u32,
    pub payload_crc: u32,
}

impl BlockHeader {
    pub fn encode(&self) -> [u8; FRAME_HEADER_LEN] {
        let mut h = [0u8; FRAME_HEADER_LEN];
        h[0..4].copy_from_slice(&MAGIC);
        h[4..6].copy_from_slice(&VERSION.to_le_bytes());
        h[8..16].copy_from_slice(&self.seq.to_le_bytes());
        h[16..20].copy_from_slice(&self.payload_len.to_le_bytes());
        h[20..24].copy_from_slice(&self.records.to_le_bytes());
        h[24..28].copy_from_slice(&self.payload_crc.to_le_bytes());
        let c = crc32c::crc32c(&h[0..28]);
        h[28..32].copy_from_slice(&c.to_le_bytes());
        h
    }

    /// Parses and checks a header; the error says what is wrong.
    pub fn decode(h: &[u8]) -> Result<Self, String> {
        if h.len() < FRAME_HEADER_LEN {
            return Err("short block header".into());
        }
        if h[0..4] != MAGIC {
            return Err("bad block magic".into());
        }
        let u32at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().unwrap());
        if crc32c::crc32c(&h[0..28]) != u32at(28) {
            return Err("block header checksum mismatch".into());
        }
        let version = u16::from_le_bytes([h[4], h[5]]);
        if version != VERSION {
            return Err(format!("unsupported block version {version}"));
        }
        Ok(BlockHeader {
            seq: u64::from_le_bytes(h[8..16].try_into().unwrap()),
            payload_len: u32at(16),
            records: u32at(20),
            payload_crc: u32at(24),
        })
    }

    /// Bytes the block occupies on disk, padding included.
    pub fn block_len(&self) -> u64 {
        padded(FRAME_HEADER_LEN + self.payload_len as usize) as u64
    }
}

/// Rounds up to the block alignment.
pub fn padded(n: usize) -> usize {
    n.div_ceil(BLOCK_ALIGN) * BLOCK_ALIGN
}

/// Counts the records of a payload, or returns the offset of the first malformed one.
pub fn count_records(payload: &[u8]) -> Result<u32, usize> {
    let mut at = 0;
    let mut n = 0u32;
    while at < payload.len() {
        if at + RECORD_PREFIX_LEN > payload.len() {
            return Err(at);
        }
        let len = u32::from_le_bytes(payload[at..at + 4].try_into().unwrap()) as usize;
        let end = at + RECORD_PREFIX_LEN + len;
        if end > payload.len() {
            return Err(at);
        }
        at = end;
        n += 1;
    }
    Ok(n)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_corruption() {
        let h = BlockHeader {
            seq: 7,
            payload_len: 100,
            records: 3,
            payload_crc: 0xdead_beef,
        };
        let mut b = h.encode();
        assert_eq!(BlockHeader::decode(&b).unwrap(), h);
        assert_eq!(h.block_len(), 4096);
        b[9] ^= 1;
        assert!(BlockHeader::decode(&b).unwrap_err().contains("checksum"));
        b[0] = b'X';
        assert!(BlockHeader::decode(&b).unwrap_err().contains("magic"));
    }

    #[test]
    fn record_counting() {
        let mut p = Vec::new();
        for r in [&b"ab"[..], b"", b"xyz"] {
            p.extend_from_slice(&(r.len() as u32).to_le_bytes());
            p.extend_from_slice(r);
        }
        assert_eq!(count_records(&p), Ok(3));
        p.push(9);
        assert_eq!(count_records(&p), Err(17));
    }
}
