//! Validated streaming decompression for `logferry collect`: gzip, bzip2, xz and zstd, told
//! apart by their magic bytes, every member/stream/frame decoded to its end and its integrity
//! check verified (gzip: the CRC32 and ISIZE of each member, checked here; bzip2, xz, zstd: the
//! checks their libraries verify). Anything that is not a complete, valid sequence of members
//! is an [`Invalid`] with the byte offset where it went wrong; reading or writing failures are
//! [`Failure::Io`] (the caller may retry those, never the invalid ones).
//!
//! Trailing bytes after the last member are refused (`trailing_garbage`), zeros included
//! (`gzip -t` warns on garbage with exit 2 and accepts zero padding silently): that is how
//! half-written or overwritten files slip through other collectors.

use std::fmt;
use std::io::{self, Read, Write};

const IN_BUF: usize = 512 * 1024;
const OUT_BUF: usize = 512 * 1024;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const BZIP2_MAGIC: &[u8] = b"BZh";
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Gzip => "gzip",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
        }
    }

    /// `Some(true)` when `head` begins a member of this format, `Some(false)` when `head` is too
    /// short to tell but is a prefix of the magic (the input ended inside a header), else `None`.
    fn starts_member(self, head: &[u8]) -> Option<bool> {
        let magic = match self {
            Format::Gzip => GZIP_MAGIC,
            Format::Bzip2 => BZIP2_MAGIC,
            Format::Xz => XZ_MAGIC,
            Format::Zstd => {
                // A skippable frame (0x184D2A50..=0x184D2A5F, little-endian) is a valid frame too.
                if head.len() >= 4 && head[1..4] == [0x2a, 0x4d, 0x18] && head[0] & 0xf0 == 0x50 {
                    return Some(true);
                }
                ZSTD_MAGIC
            }
        };
        if head.len() >= magic.len() {
            head.starts_with(magic).then_some(true)
        } else if magic.starts_with(head) {
            Some(false)
        } else {
            None
        }
    }
}

/// Why an input is refused (stable names: the TypeScript layer and the docs use them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Zero-length input.
    Empty,
    /// No known magic bytes at offset 0.
    NotCompressed,
    /// The input ended inside a member.
    Truncated,
    /// A member's CRC (gzip CRC32, zstd content checksum) differs from its content.
    CrcMismatch,
    /// A gzip member's ISIZE differs from its content's length mod 2^32.
    LengthMismatch,
    /// Bytes after the last complete member that do not begin another one.
    TrailingGarbage,
    /// Invalid header or compressed data (bzip2 and xz report their CRC failures this way).
    Corrupt,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Empty => "empty",
            Reason::NotCompressed => "not_compressed",
            Reason::Truncated => "truncated",
            Reason::CrcMismatch => "crc_mismatch",
            Reason::LengthMismatch => "length_mismatch",
            Reason::TrailingGarbage => "trailing_garbage",
            Reason::Corrupt => "corrupt",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub reason: Reason,
    /// Offset in the compressed input where the problem was found.
    pub offset: u64,
    pub format: Option<Format>,
    pub detail: String,
}

#[derive(Debug)]
pub enum Failure {
    Invalid(Invalid),
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Invalid(i) => {
                write!(f, "{} at byte {}: {}", i.reason.name(), i.offset, i.detail)
            }
            Failure::Io(e) => write!(f, "{e}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub format: Format,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// gzip members, bzip2/xz streams or zstd frames (skippable ones included).
    pub members: u32,
}

fn invalid(
    reason: Reason,
    offset: u64,
    format: Option<Format>,
    detail: impl Into<String>,
) -> Failure {
    Failure::Invalid(Invalid {
        reason,
        offset,
        format,
        detail: detail.into(),
    })
}

/// The compressed input with the absolute offset of what is buffered.
struct Input<R> {
    r: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    base: u64,
    eof: bool,
}

impl<R: Read> Input<R> {
    fn new(r: R) -> Self {
        Self {
            r,
            buf: vec![0u8; IN_BUF].into_boxed_slice(),
            start: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    fn avail(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    fn consume(&mut self, n: usize) {
        debug_assert!(self.start + n <= self.end);
        self.start += n;
    }

    /// Reads more (after what is buffered); sets `eof` when the reader has no more.
    fn refill(&mut self) -> io::Result<()> {
        if self.eof {
            return Ok(());
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Ok(());
        }
        loop {
            match self.r.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether at least `n` bytes can be buffered (n <= IN_BUF).
    fn ensure(&mut self, n: usize) -> io::Result<bool> {
        while self.avail().len() < n && !self.eof {
            self.refill()?;
        }
        Ok(self.avail().len() >= n)
    }

    fn byte(&mut self) -> io::Result<Option<u8>> {
        if !self.ensure(1)? {
            return Ok(None);
        }
        let b = self.buf[self.start];
        self.start += 1;
        Ok(Some(b))
    }
}

/// One step of a format's body decoder.
struct Step {
    consumed: usize,
    produced: usize,
    end: bool,
}

/// A member/stream/frame body decoder; `Err` is the problem found in the data.
trait Body {
    fn step(&mut self, input: &[u8], output: &mut [u8]) -> Result<Step, (Reason, String)>;
}

struct Deflate(flate2::Decompress);

impl Body for Deflate {
    fn step(&mut self, input: &[u8], output: &mut [u8]) -> Result<Step, (Reason, String)> {
        let (i0, o0) = (self.0.total_in(), self.0.total_out());
        let status = self
            .0
            .decompress(input, output, flate2::FlushDecompress::None)
            .map_err(|e| (Reason::Corrupt, format!("invalid deflate data: {e}")))?;
        Ok(Step {
            consumed: (self.0.total_in() - i0) as usize,
            produced: (self.0.total_out() - o0) as usize,
            end: status == flate2::Status::StreamEnd,
        })
    }
}

struct Bzip2(bzip2::Decompress);

impl Body for Bzip2 {
    fn step(&mut self, input: &[u8], output: &mut [u8]) -> Result<Step, (Reason, String)> {
        let (i0, o0) = (self.0.total_in(), self.0.total_out());
        let status = self.0.decompress(input, output).map_err(|e| {
            (
                Reason::Corrupt,
                format!("bzip2 data error (invalid data or a block/stream CRC mismatch): {e:?}"),
            )
        })?;
        Ok(Step {
            consumed: (self.0.total_in() - i0) as usize,
            produced: (self.0.total_out() - o0) as usize,
            end: status == bzip2::Status::StreamEnd,
        })
    }
}

struct Xz(liblzma::stream::Stream);

impl Body for Xz {
    fn step(&mut self, input: &[u8], output: &mut [u8]) -> Result<Step, (Reason, String)> {
        let (i0, o0) = (self.0.total_in(), self.0.total_out());
        let status = self
            .0
            .process(input, output, liblzma::stream::Action::Run)
            .map_err(|e| {
                (
                    Reason::Corrupt,
                    format!("xz error (invalid data or an integrity check mismatch): {e:?}"),
                )
            })?;
        Ok(Step {
            consumed: (self.0.total_in() - i0) as usize,
            produced: (self.0.total_out() - o0) as usize,
            end: status == liblzma::stream::Status::StreamEnd,
        })
    }
}

struct Zstd(zstd::stream::raw::Decoder<'static>);

impl Body for Zstd {
    fn step(&mut self, input: &[u8], output: &mut [u8]) -> Result<Step, (Reason, String)> {
        use zstd::stream::raw::Operation;
        let s = self.0.run_on_buffers(input, output).map_err(|e| {
            let msg = e.to_string();
            let reason = if msg.contains("checksum") {
                Reason::CrcMismatch
            } else {
                Reason::Corrupt
            };
            (reason, format!("zstd error: {msg}"))
        })?;
        Ok(Step {
            consumed: s.bytes_read,
            produced: s.bytes_written,
            end: s.remaining == 0,
        })
    }
}

struct Decoder<'a, R, W> {
    input: Input<R>,
    out: &'a mut W,
    obuf: Box<[u8]>,
    format: Format,
    bytes_out: u64,
}

impl<R: Read, W: Write> Decoder<'_, R, W> {
    fn bad(&self, reason: Reason, offset: u64, detail: impl Into<String>) -> Failure {
        invalid(reason, offset, Some(self.format), detail)
    }

    /// Decodes one body to its end; `on_out` sees every produced chunk. Returns the length.
    fn body(&mut self, body: &mut dyn Body, on_out: &mut dyn FnMut(&[u8])) -> Result<u64, Failure> {
        let mut len = 0u64;
        loop {
            if self.input.avail().is_empty() {
                self.input.refill()?;
            }
            let at_eof = self.input.avail().is_empty();
            let offset = self.input.offset();
            let step = match body.step(self.input.avail(), &mut self.obuf) {
                Ok(s) => s,
                // Everything was read and the decoder still wants more.
                Err(_) if at_eof => {
                    return Err(self.bad(Reason::Truncated, offset, "unexpected end of input"))
                }
                Err((reason, detail)) => return Err(self.bad(reason, offset, detail)),
            };
            let chunk = &self.obuf[..step.produced];
            on_out(chunk);
            self.out.write_all(chunk)?;
            len += step.produced as u64;
            self.input.consume(step.consumed);
            if step.end {
                return Ok(len);
            }
            if at_eof && step.produced == 0 {
                return Err(self.bad(
                    Reason::Truncated,
                    self.input.offset(),
                    "unexpected end of input",
                ));
            }
        }
    }

    fn need_byte(&mut self, what: &str) -> Result<u8, Failure> {
        match self.input.byte()? {
            Some(b) => Ok(b),
            None => Err(self.bad(
                Reason::Truncated,
                self.input.offset(),
                format!("unexpected end of input in the {what}"),
            )),
        }
    }

    /// A gzip member (RFC 1952): header, deflate body, CRC32 and ISIZE checked.
    fn gzip_member(&mut self) -> Result<(), Failure> {
        let start = self.input.offset();
        let mut header = crc32fast::Hasher::new();
        let mut fixed = [0u8; 10];
        for b in fixed.iter_mut() {
            *b = self.need_byte("gzip header")?;
        }
        header.update(&fixed);
        if fixed[2] != 8 {
            return Err(self.bad(
                Reason::Corrupt,
                start + 2,
                format!("unknown gzip compression method {}", fixed[2]),
            ));
        }
        let flags = fixed[3];
        if flags & 0xe0 != 0 {
            return Err(self.bad(
                Reason::Corrupt,
                start + 3,
                format!("reserved gzip header flags set (0x{flags:02x})"),
            ));
        }
        if flags & 0x04 != 0 {
            let lo = self.need_byte("gzip extra field")?;
            let hi = self.need_byte("gzip extra field")?;
            header.update(&[lo, hi]);
            for _ in 0..u16::from_le_bytes([lo, hi]) {
                let b = self.need_byte("gzip extra field")?;
                header.update(&[b]);
            }
        }
        for (bit, what) in [(0x08, "gzip file name"), (0x10, "gzip comment")] {
            if flags & bit != 0 {
                loop {
                    let b = self.need_byte(what)?;
                    header.update(&[b]);
                    if b == 0 {
                        break;
                    }
                }
            }
        }
        if flags & 0x02 != 0 {
            let at = self.input.offset();
            let lo = self.need_byte("gzip header CRC")?;
            let hi = self.need_byte("gzip header CRC")?;
            let want = u16::from_le_bytes([lo, hi]);
            let got = header.finalize() as u16;
            if want != got {
                return Err(self.bad(
                    Reason::CrcMismatch,
                    at,
                    format!("gzip header CRC16 {want:04x} != {got:04x} computed"),
                ));
            }
        }
        let mut crc = crc32fast::Hasher::new();
        let mut deflate = Deflate(flate2::Decompress::new(false));
        let len = self.body(&mut deflate, &mut |c| crc.update(c))?;
        let trailer_at = self.input.offset();
        let mut trailer = [0u8; 8];
        for b in trailer.iter_mut() {
            *b = self.need_byte("gzip trailer")?;
        }
        let want_crc = u32::from_le_bytes(trailer[0..4].try_into().unwrap());
        let want_len = u32::from_le_bytes(trailer[4..8].try_into().unwrap());
        let got_crc = crc.finalize();
        if want_crc != got_crc {
            return Err(self.bad(
                Reason::CrcMismatch,
                trailer_at,
                format!(
                    "gzip member at byte {start}: CRC32 {want_crc:08x} stated, {got_crc:08x} computed"
                ),
            ));
        }
        if want_len != len as u32 {
            return Err(self.bad(
                Reason::LengthMismatch,
                trailer_at + 4,
                format!(
                    "gzip member at byte {start}: ISIZE {want_len} stated, {} decoded (mod 2^32)",
                    len as u32
                ),
            ));
        }
        self.bytes_out += len;
        Ok(())
    }

    fn member(&mut self) -> Result<(), Failure> {
        let mut none = |_: &[u8]| {};
        let len = match self.format {
            Format::Gzip => return self.gzip_member(),
            Format::Bzip2 => self.body(&mut Bzip2(bzip2::Decompress::new(false)), &mut none)?,
            Format::Xz => {
                let s = liblzma::stream::Stream::new_stream_decoder(u64::MAX, 0).map_err(|e| {
                    Failure::Io(io::Error::other(format!("xz decoder init: {e:?}")))
                })?;
                self.body(&mut Xz(s), &mut none)?
            }
            Format::Zstd => {
                let d = zstd::stream::raw::Decoder::new()?;
                self.body(&mut Zstd(d), &mut none)?
            }
        };
        self.bytes_out += len;
        Ok(())
    }
}

/// The format whose magic bytes begin `head`, if any.
pub(crate) fn detect(head: &[u8]) -> Option<Format> {
    [Format::Gzip, Format::Bzip2, Format::Xz, Format::Zstd]
        .into_iter()
        .find(|f| f.starts_member(head) == Some(true))
}

/// Decodes all of `input` into `output`, validating as described in the module docs.
pub fn decode<R: Read, W: Write>(input: R, output: &mut W) -> Result<Decoded, Failure> {
    let mut input = Input::new(input);
    input.ensure(XZ_MAGIC.len())?;
    if input.avail().is_empty() {
        return Err(invalid(Reason::Empty, 0, None, "zero-length input"));
    }
    let Some(format) = detect(input.avail()) else {
        let head = input.avail();
        let prefix = [Format::Gzip, Format::Bzip2, Format::Xz, Format::Zstd]
            .into_iter()
            .find(|f| f.starts_member(head) == Some(false));
        if let (Some(f), true) = (prefix, input.eof) {
            return Err(invalid(
                Reason::Truncated,
                0,
                Some(f),
                "unexpected end of input in the magic bytes",
            ));
        }
        let head: Vec<String> = input
            .avail()
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        return Err(invalid(
            Reason::NotCompressed,
            0,
            None,
            format!(
                "no gzip, bzip2, xz or zstd magic bytes (starts with {})",
                head.join(" ")
            ),
        ));
    };
    let mut d = Decoder {
        input,
        out: output,
        obuf: vec![0u8; OUT_BUF].into_boxed_slice(),
        format,
        bytes_out: 0,
    };
    let mut members = 0u32;
    loop {
        d.member()?;
        members += 1;
        d.input.ensure(XZ_MAGIC.len())?;
        if d.input.avail().is_empty() {
            break;
        }
        let at = d.input.offset();
        match format.starts_member(d.input.avail()) {
            Some(true) => {}
            // The input ended inside the next member's magic bytes.
            Some(false) if d.input.eof => {
                return Err(d.bad(Reason::Truncated, at, "unexpected end of input in a header"))
            }
            _ => {
                let rest = d.input.avail().len();
                return Err(d.bad(
                    Reason::TrailingGarbage,
                    at,
                    format!(
                        "{}{} bytes after the last complete {} member do not begin another one",
                        rest,
                        if d.input.eof { "" } else { "+" },
                        format.name()
                    ),
                ));
            }
        }
    }
    d.out.flush()?;
    Ok(Decoded {
        format,
        bytes_in: d.input.offset(),
        bytes_out: d.bytes_out,
        members,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in parts {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(p).unwrap();
            out.extend(e.finish().unwrap());
        }
        out
    }

    fn reason(data: &[u8]) -> (Reason, u64) {
        match decode(data, &mut Vec::new()) {
            Err(Failure::Invalid(i)) => (i.reason, i.offset),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn multi_member_and_empty_member() {
        let data = gz(&[b"hello ", b"", b"world"]);
        let mut out = Vec::new();
        let d = decode(&data[..], &mut out).unwrap();
        assert_eq!(out, b"hello world");
        assert_eq!(d.members, 3);
        assert_eq!(d.bytes_in, data.len() as u64);
    }

    #[test]
    fn every_truncation_is_refused() {
        let data = gz(&[&b"some log line\n".repeat(100)]);
        for cut in 1..data.len() {
            let (r, _) = reason(&data[..cut]);
            assert_eq!(r, Reason::Truncated, "cut at {cut}");
        }
    }

    #[test]
    fn trailer_checks() {
        let mut data = gz(&[b"abc"]);
        let n = data.len();
        data[n - 4] ^= 1;
        assert_eq!(reason(&data), (Reason::LengthMismatch, n as u64 - 4));
        data[n - 4] ^= 1;
        data[n - 8] ^= 1;
        assert_eq!(reason(&data), (Reason::CrcMismatch, n as u64 - 8));
    }

    #[test]
    fn trailing_bytes_and_non_compressed() {
        let mut data = gz(&[b"abc"]);
        let n = data.len() as u64;
        data.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(reason(&data), (Reason::TrailingGarbage, n));
        data.truncate(n as usize);
        data.push(0x1f);
        assert_eq!(reason(&data), (Reason::Truncated, n));
        assert_eq!(reason(b"plain text"), (Reason::NotCompressed, 0));
        assert_eq!(reason(b""), (Reason::Empty, 0));
    }

    #[test]
    fn zstd_frames() {
        let mut data = zstd::encode_all(&b"one "[..], 3).unwrap();
        data.extend(zstd::encode_all(&b"two"[..], 3).unwrap());
        let mut out = Vec::new();
        let d = decode(&data[..], &mut out).unwrap();
        assert_eq!((out.as_slice(), d.members), (&b"one two"[..], 2));
        let (r, _) = reason(&data[..data.len() - 1]);
        assert_eq!(r, Reason::Truncated);
    }

    struct FullDisk;
    impl Write for FullDisk {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from_raw_os_error(28))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_failure_is_io() {
        let data = gz(&[b"abc"]);
        match decode(&data[..], &mut FullDisk) {
            Err(Failure::Io(e)) => assert_eq!(e.raw_os_error(), Some(28)),
            other => panic!("{other:?}"),
        }
    }
}
