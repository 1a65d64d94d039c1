//! Reads log files of both formats. Detects the format from a whole checked block header (never
//! from a text file's content), verifies framed checksums, stops cleanly at a torn tail left by
//! a crash and reports corruption with the byte offset.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::config::Format;
use crate::error::{Error, Result};
use crate::frame::{padded, BlockHeader, BLOCK_ALIGN, FRAME_HEADER_LEN, MAGIC, RECORD_PREFIX_LEN};

/// Iterates over the records of one file.
pub struct Reader {
    path: PathBuf,
    format: Format,
    input: BufReader<File>,
    file_len: u64,
    offset: u64,
    /// Records of the current framed block not yet returned.
    block: Vec<u8>,
    block_at: usize,
    block_offset: u64,
    torn_tail: Option<u64>,
    done: bool,
}

impl Reader {
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let f = File::open(&path).map_err(|e| Error::io(&path, "open", e))?;
        let file_len = f.metadata().map_err(|e| Error::io(&path, "stat", e))?.len();
        let format = detect_format(&f, file_len).map_err(|e| Error::io(&path, "read", e))?;
        let input = BufReader::with_capacity(1 << 20, f);
        Ok(Reader {
            path,
            format,
            input,
            file_len,
            offset: 0,
            block: Vec::new(),
            block_at: 0,
            block_offset: 0,
            torn_tail: None,
            done: false,
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Offset of an incomplete record or block at the end of the file, if the reader met one.
    pub fn torn_tail(&self) -> Option<u64> {
        self.torn_tail
    }

    /// Next record (without the text format's newline), `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        match self.format {
            Format::Text => self.next_text(),
            Format::Framed => self.next_framed(),
        }
    }

    fn corrupt(&mut self, offset: u64, reason: impl Into<String>) -> Error {
        self.done = true;
        Error::Corrupt {
            path: self.path.clone(),
            offset,
            reason: reason.into(),
        }
    }

    fn next_text(&mut self) -> Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let n = self
            .input
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(&self.path, "read", e))?;
        if n == 0 {
            self.done = true;
            return Ok(None);
        }
        if line.last() != Some(&b'\n') {
            self.torn_tail = Some(self.offset);
            self.done = true;
            return Ok(None);
        }
        self.offset += n as u64;
        line.pop();
        Ok(Some(line))
    }

    fn next_framed(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            if self.block_at < self.block.len() {
                let at = self.block_at;
                let b = &self.block;
                if at + RECORD_PREFIX_LEN > b.len() {
                    let off = self.block_offset + (FRAME_HEADER_LEN + at) as u64;
                    return Err(self.corrupt(off, "record length prefix cut short"));
                }
                let len = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
                let end = at + RECORD_PREFIX_LEN + len;
                if end > b.len() {
                    let off = self.block_offset + (FRAME_HEADER_LEN + at) as u64;
                    return Err(self.corrupt(off, "record runs past the end of its block"));
                }
                let rec = b[at + RECORD_PREFIX_LEN..end].to_vec();
                self.block_at = end;
                return Ok(Some(rec));
            }
            if !self.next_block()? {
                return Ok(None);
            }
        }
    }

    /// Loads the next block; false at the end of the data (or a torn tail).
    fn next_block(&mut self) -> Result<bool> {
        let at = self.offset;
        if at >= self.file_len {
            self.done = true;
            return Ok(false);
        }
        let mut h = [0u8; FRAME_HEADER_LEN];
        let got =
            read_full(&mut self.input, &mut h).map_err(|e| Error::io(&self.path, "read", e))?;
        if got < FRAME_HEADER_LEN {
            self.torn_tail = Some(at);
            self.done = true;
            return Ok(false);
        }
        let header = match BlockHeader::decode(&h) {
            Ok(h) => h,
            Err(reason) => {
                if self.rest_is_zero(at)? {
                    self.torn_tail = Some(at);
                    self.done = true;
                    return Ok(false);
                }
                return Err(self.corrupt(at, reason));
            }
        };
        let block_len = header.block_len();
        let is_last = at + block_len >= self.file_len;
        let plen = header.payload_len as usize;
        // A payload running past the end of the file is a torn write; the length is checked
        // before anything is allocated for it (a header may claim up to 4 GiB).
        if at + (FRAME_HEADER_LEN + plen) as u64 > self.file_len {
            self.torn_tail = Some(at);
            self.done = true;
            return Ok(false);
        }
        let mut payload = vec![0u8; plen];
        let got = read_full(&mut self.input, &mut payload)
            .map_err(|e| Error::io(&self.path, "read", e))?;
        if got < plen {
            self.torn_tail = Some(at);
            self.done = true;
            return Ok(false);
        }
        if crc32c::crc32c(&payload) != header.payload_crc {
            if is_last {
                self.torn_tail = Some(at);
                self.done = true;
                return Ok(false);
            }
            return Err(self.corrupt(at, "block payload checksum mismatch"));
        }
        match crate::frame::count_records(&payload) {
            Ok(n) if n == header.records => {}
            Ok(n) => {
                return Err(self.corrupt(
                    at,
                    format!("block says {} records, holds {n}", header.records),
                ))
            }
            Err(o) => {
                return Err(self.corrupt(at + (FRAME_HEADER_LEN + o) as u64, "malformed record"))
            }
        }
        // Skip the padding.
        let pad = block_len - (FRAME_HEADER_LEN + plen) as u64;
        let next = at + block_len;
        if pad > 0 {
            if next >= self.file_len {
                self.offset = self.file_len;
            } else {
                self.input
                    .seek(SeekFrom::Start(next))
                    .map_err(|e| Error::io(&self.path, "seek", e))?;
                self.offset = next;
            }
        } else {
            self.offset = next;
        }
        self.block = payload;
        self.block_at = 0;
        self.block_offset = at;
        Ok(true)
    }

    fn rest_is_zero(&mut self, from: u64) -> Result<bool> {
        let mut f = File::open(&self.path).map_err(|e| Error::io(&self.path, "open", e))?;
        f.seek(SeekFrom::Start(from))
            .map_err(|e| Error::io(&self.path, "seek", e))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f
                .read(&mut buf)
                .map_err(|e| Error::io(&self.path, "read", e))?;
            if n == 0 {
                return Ok(true);
            }
            if buf[..n].iter().any(|&b| b != 0) {
                return Ok(false);
            }
        }
    }
}

impl Iterator for Reader {
    type Item = Result<Vec<u8>>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// Block offsets past the first that `detect_format` looks at for an intact header when the
/// first one is damaged: the first MiB of the file.
const DETECT_SCAN_BLOCKS: u64 = 256;

/// The format of a file (docs/format.md "Which format a file is read as"). Framed only if the
/// file starts with a whole framed header that checks out: magic, version, CRC32C of the
/// header. Such a header starts `LFB1 01 00 00 00` (version 1, flags 0: three NUL bytes) and
/// carries a checksum, so text without NUL bytes never matches and other text only by a 1 in
/// 2^32 chance after that exact 8-byte prefix; text that merely starts with `LFB1` stays text. A
/// framed file whose first header is damaged is still recognised (and reported corrupt at 0)
/// when it starts with the magic and an intact header follows at a block offset: where the
/// damaged header's length points, or in the first MiB.
fn detect_format(f: &File, file_len: u64) -> io::Result<Format> {
    let header_at = |at: u64| -> io::Result<Option<BlockHeader>> {
        let mut h = [0u8; FRAME_HEADER_LEN];
        if at + FRAME_HEADER_LEN as u64 > file_len || read_at(f, &mut h, at)? < h.len() {
            return Ok(None);
        }
        Ok(BlockHeader::decode(&h).ok())
    };
    let mut head = [0u8; FRAME_HEADER_LEN];
    let got = read_at(f, &mut head, 0)?;
    if got < MAGIC.len() || head[..4] != MAGIC {
        return Ok(Format::Text);
    }
    if got == FRAME_HEADER_LEN && BlockHeader::decode(&head).is_ok() {
        return Ok(Format::Framed);
    }
    let claimed = u32::from_le_bytes(head[16..20].try_into().unwrap()) as usize;
    let pointed = padded(FRAME_HEADER_LEN.saturating_add(claimed)) as u64;
    let scan = (1..=DETECT_SCAN_BLOCKS).map(|k| k * BLOCK_ALIGN as u64);
    for at in std::iter::once(pointed).chain(scan) {
        if at >= file_len {
            continue;
        }
        if header_at(at)?.is_some() {
            return Ok(Format::Framed);
        }
    }
    Ok(Format::Text)
}

/// Reads up to `buf.len()` bytes at `at` (fewer only at the end of the file).
fn read_at(f: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut n = 0;
    while n < buf.len() {
        match f.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// All records of a file, plus where a torn tail starts (if any).
pub fn read_all(path: impl AsRef<Path>) -> Result<(Vec<Vec<u8>>, Option<u64>)> {
    let mut r = Reader::open(path)?;
    let mut v = Vec::new();
    while let Some(rec) = r.next_record()? {
        v.push(rec);
    }
    Ok((v, r.torn_tail()))
}
