//! The scan of one input: blocks of bytes go into a buffer, the matcher runs over every complete
//! line of the block at once, and each matching line becomes a [`Hit`] with its line number,
//! byte offset and context lines. Lines are never copied or counted one by one: newlines are
//! counted in bulk (SIMD) only up to each hit, the partial last line of a block waits for the
//! next block, and a line longer than the buffer grows it.

use memchr::{memchr, memrchr};

use crate::matcher::{Matcher, Scratch};

/// A matching line. `text` and the context lines exclude the `\n` (a `\r` before it is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// 1-based.
    pub line: u64,
    /// Of the line's first byte, in the (decoded) content.
    pub offset: u64,
    pub text: Vec<u8>,
    /// Up to `before` lines before, oldest first (fewer at the start of the input).
    pub before: Vec<Vec<u8>>,
    /// Up to `after` lines after (fewer at the end of the input).
    pub after: Vec<Vec<u8>>,
}

impl Hit {
    /// Bytes held, to bound batches.
    pub fn weight(&self) -> usize {
        64 + self.text.len()
            + self.before.iter().map(|l| l.len() + 24).sum::<usize>()
            + self.after.iter().map(|l| l.len() + 24).sum::<usize>()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

#[derive(Debug, Clone, Copy)]
pub struct ScanConfig {
    pub before: usize,
    pub after: usize,
    /// Hits after which the scan stops (their after-context still completes).
    pub max_hits: u64,
    /// Initial buffer size; reads and pushes fill it.
    pub block: usize,
}

pub struct Scanner<'m> {
    matcher: &'m Matcher,
    cfg: ScanConfig,
    buf: Vec<u8>,
    /// Valid bytes in `buf`.
    len: usize,
    /// First byte not searched yet (a line start).
    scan_from: usize,
    /// Content offset of `buf[0]` (always a line start).
    base: u64,
    /// Line number at `counted_pos`: the newlines before it are counted.
    counted_pos: usize,
    counted_line: u64,
    /// Hits waiting for after-context lines, in order; `.1` is how many they still want.
    pending: Vec<(Hit, usize)>,
    hits: u64,
    /// Set when a last `process(true)` searched the whole input.
    end: Option<End>,
    /// The matcher's work on the block being processed.
    scratch: Scratch,
}

/// Where an input searched to its end stops: after its last `\n`, and the line number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End {
    pub offset: u64,
    pub line: u64,
}

impl<'m> Scanner<'m> {
    /// `offset` and `line`: where the input starts in the content (0 and 1 from its start).
    pub fn new(matcher: &'m Matcher, cfg: ScanConfig, offset: u64, line: u64) -> Self {
        Self {
            matcher,
            cfg,
            buf: vec![0u8; cfg.block.max(4096)],
            len: 0,
            scan_from: 0,
            base: offset,
            counted_pos: 0,
            counted_line: line,
            pending: Vec::new(),
            hits: 0,
            end: None,
            scratch: Scratch::default(),
        }
    }

    /// True once `max_hits` were found and their context is complete: nothing more to do.
    pub fn done(&self) -> bool {
        self.hits >= self.cfg.max_hits && self.pending.is_empty()
    }

    fn want(&self) -> usize {
        self.cfg.block.max(4096) / 2
    }

    /// Free space after the buffered bytes (at least half a block; the buffer grows when a
    /// partial line fills it).
    pub fn space(&mut self) -> &mut [u8] {
        let want = self.want();
        if self.buf.len() - self.len < want {
            let new_len = (self.buf.len() * 2).max(self.len + want);
            self.buf.resize(new_len, 0);
        }
        &mut self.buf[self.len..]
    }

    /// `n` bytes were written into [`Scanner::space`].
    pub fn filled(&mut self, n: usize) {
        debug_assert!(self.len + n <= self.buf.len());
        self.len += n;
    }

    /// Whether less than half a block is free: time to [`Scanner::process`] (short reads, from
    /// a pipe, fill the buffer this far before a search, and never grow it).
    pub fn full(&self) -> bool {
        self.buf.len() - self.len < self.want()
    }

    /// Appends `data`, processing each time the buffer fills.
    pub fn push(&mut self, mut data: &[u8], emit: &mut dyn FnMut(Hit) -> Flow) -> Flow {
        while !data.is_empty() {
            let space = self.space();
            let n = space.len().min(data.len());
            space[..n].copy_from_slice(&data[..n]);
            self.filled(n);
            data = &data[n..];
            if self.full() && self.process(false, emit) == Flow::Stop {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }

    fn line_at(&mut self, pos: usize) -> u64 {
        debug_assert!(pos >= self.counted_pos);
        self.counted_line += bytecount::count(&self.buf[self.counted_pos..pos], b'\n') as u64;
        self.counted_pos = pos;
        self.counted_line
    }

    /// Lines from `from` to `end` (a line end), at most `n`; returns them and where they stop.
    fn lines_from(&self, mut from: usize, end: usize, n: usize) -> (Vec<Vec<u8>>, usize) {
        let mut out = Vec::new();
        while out.len() < n && from < end {
            let le = memchr(b'\n', &self.buf[from..end]).map_or(end, |i| from + i);
            out.push(self.buf[from..le].to_vec());
            from = le + 1;
        }
        (out, from)
    }

    /// Up to `n` lines before the line starting at `start`, oldest first.
    fn lines_before(&self, start: usize, n: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut p = start;
        while out.len() < n && p > 0 {
            let nl = p - 1;
            let s = memrchr(b'\n', &self.buf[..nl]).map_or(0, |i| i + 1);
            out.push(self.buf[s..nl].to_vec());
            p = s;
        }
        out.reverse();
        out
    }

    /// Searches the complete lines buffered (all of them at `eof`), hands finished hits to
    /// `emit` in order, and keeps what the next block needs.
    pub fn process(&mut self, eof: bool, emit: &mut dyn FnMut(Hit) -> Flow) -> Flow {
        let end = if eof {
            self.len
        } else {
            match memrchr(b'\n', &self.buf[self.scan_from..self.len]) {
                Some(i) => self.scan_from + i + 1,
                None => return Flow::Continue,
            }
        };
        // Lines for the hits of the previous blocks still short of after-context.
        if let Some(want) = self.pending.iter().map(|p| p.1).max().filter(|&w| w > 0) {
            let (lines, _) = self.lines_from(self.scan_from, end, want);
            for (hit, missing) in self.pending.iter_mut() {
                let take = (*missing).min(lines.len());
                hit.after.extend(lines[..take].iter().cloned());
                *missing -= take;
            }
        }
        let mut pos = self.scan_from;
        self.scratch.clear();
        while self.hits < self.cfg.max_hits && pos < end {
            let Some((ls, le)) =
                self.matcher
                    .find_line_in(&self.buf[..end], pos, &mut self.scratch)
            else {
                break;
            };
            let line = self.line_at(ls);
            let (after, _) = self.lines_from((le + 1).min(end), end, self.cfg.after);
            let missing = if eof { 0 } else { self.cfg.after - after.len() };
            let hit = Hit {
                line,
                offset: self.base + ls as u64,
                text: self.buf[ls..le].to_vec(),
                before: self.lines_before(ls, self.cfg.before),
                after,
            };
            self.pending.push((hit, missing));
            self.hits += 1;
            pos = le + 1;
        }
        // Every hit whose context is complete goes out (in order).
        let ready = self
            .pending
            .iter()
            .position(|p| p.1 > 0 && !eof)
            .unwrap_or(self.pending.len());
        for (hit, _) in self.pending.drain(..ready) {
            if emit(hit) == Flow::Stop {
                return Flow::Stop;
            }
        }
        self.scan_from = end;
        if eof && self.hits < self.cfg.max_hits {
            let line = self.line_at(self.len);
            // `buf[0]` is a line start: without a `\n` the partial line begins there.
            let at = memrchr(b'\n', &self.buf[..self.len]).map_or(0, |i| i + 1);
            self.end = Some(End {
                offset: self.base + at as u64,
                line,
            });
        }
        self.roll();
        if self.done() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// Where the input's complete lines end (a caller that searches a growing file goes on
    /// from there); None unless the input was searched to its end.
    pub fn end(&self) -> Option<End> {
        self.end
    }

    /// Moves the unsearched partial line, and the lines before-context may still need, to the
    /// front of the buffer.
    fn roll(&mut self) {
        let mut keep = self.scan_from;
        for _ in 0..self.cfg.before {
            if keep == 0 {
                break;
            }
            keep = memrchr(b'\n', &self.buf[..keep - 1]).map_or(0, |i| i + 1);
        }
        if keep == 0 {
            return;
        }
        self.line_at(self.scan_from);
        self.buf.copy_within(keep..self.len, 0);
        self.len -= keep;
        self.scan_from -= keep;
        self.counted_pos -= keep;
        self.base += keep as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(before: usize, after: usize, block: usize) -> ScanConfig {
        ScanConfig {
            before,
            after,
            max_hits: u64::MAX,
            block,
        }
    }

    /// Scans `data` pushed in `chunk`-byte pieces.
    fn scan(m: &Matcher, c: ScanConfig, data: &[u8], chunk: usize) -> Vec<Hit> {
        let mut s = Scanner::new(m, c, 0, 1);
        let mut hits = Vec::new();
        let mut emit = |h: Hit| {
            hits.push(h);
            Flow::Continue
        };
        for piece in data.chunks(chunk.max(1)) {
            if s.push(piece, &mut emit) == Flow::Stop {
                break;
            }
        }
        s.process(true, &mut emit);
        hits
    }

    /// The same answer, line by line, the slow obvious way.
    fn naive(m: &Matcher, c: ScanConfig, data: &[u8]) -> Vec<Hit> {
        let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        if data.ends_with(b"\n") || data.is_empty() {
            lines.pop();
        }
        let mut offsets = Vec::new();
        let mut o = 0u64;
        for l in &lines {
            offsets.push(o);
            o += l.len() as u64 + 1;
        }
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let mut hay = l.to_vec();
            hay.push(b'\n');
            if m.find_line(&hay, 0).is_some() {
                out.push(Hit {
                    line: i as u64 + 1,
                    offset: offsets[i],
                    text: l.to_vec(),
                    before: lines[i.saturating_sub(c.before)..i]
                        .iter()
                        .map(|x| x.to_vec())
                        .collect(),
                    after: lines[(i + 1).min(lines.len())..(i + 1 + c.after).min(lines.len())]
                        .iter()
                        .map(|x| x.to_vec())
                        .collect(),
                });
            }
        }
        out
    }

    fn corpus() -> Vec<u8> {
        let mut d = Vec::new();
        for i in 0..400u32 {
            match i % 7 {
                0 => d.extend_from_slice(format!("{i} ERROR disk full\n").as_bytes()),
                1 => d.extend_from_slice(format!("{i} info ok\r\n").as_bytes()),
                2 => d.extend(std::iter::repeat_n(b'x', 300 + i as usize)),
                3 => d.extend_from_slice("é ERROR ünïcode\n".as_bytes()),
                4 => d.extend_from_slice(b"\n"),
                5 => d.extend_from_slice(&[0, 0xff, b'\n']),
                _ => d.extend_from_slice(b"plain line\n"),
            }
        }
        d.extend_from_slice(b"last ERROR without newline");
        d
    }

    #[test]
    fn equals_the_line_by_line_answer_at_any_block_size() {
        let data = corpus();
        for (pat, re, ic) in [
            ("ERROR", false, false),
            (r"^\d+ info", true, false),
            (r"x{500}", true, false),
            ("error|INFO ok|disk", true, true),
        ] {
            let m = Matcher::new(pat, re, ic).unwrap();
            for (b, a) in [(0, 0), (2, 3), (5, 1)] {
                let want = naive(&m, cfg(b, a, 4096), &data);
                assert!(!want.is_empty());
                for (block, chunk) in [(4096, 1000), (4096, 7), (8192, 100_000), (1 << 20, 4096)] {
                    let got = scan(&m, cfg(b, a, block), &data, chunk);
                    assert_eq!(got, want, "{pat} ctx {b}/{a} block {block} chunk {chunk}");
                }
            }
        }
    }

    #[test]
    fn lines_longer_than_the_buffer() {
        let mut data = vec![b'a'; 50_000];
        data.extend_from_slice(b"NEEDLE");
        data.extend(vec![b'b'; 50_000]);
        data.extend_from_slice(b"\nshort NEEDLE\n");
        let m = Matcher::new("NEEDLE", false, false).unwrap();
        let hits = scan(&m, cfg(1, 1, 4096), &data, 3000);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].text.len(), 100_006);
        assert_eq!(hits[0].after, vec![b"short NEEDLE".to_vec()]);
        assert_eq!((hits[1].line, hits[1].offset), (2, 100_007));
        assert_eq!(hits[1].before[0].len(), 100_006);
    }

    #[test]
    fn max_hits_stops_with_complete_context() {
        let data = b"a1\nb\na2\nc\nd\na3\n".repeat(1000);
        let m = Matcher::new("a", false, false).unwrap();
        let mut c = cfg(0, 2, 4096);
        c.max_hits = 2;
        let hits = scan(&m, c, &data, 5);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[1].after, vec![b"c".to_vec(), b"d".to_vec()]);
    }

    #[test]
    fn starts_mid_content() {
        let m = Matcher::new("x", false, false).unwrap();
        let mut s = Scanner::new(&m, cfg(0, 0, 4096), 1000, 50);
        let mut hits = Vec::new();
        s.push(b"a\nx\n", &mut |h| {
            hits.push(h);
            Flow::Continue
        });
        s.process(true, &mut |h| {
            hits.push(h);
            Flow::Continue
        });
        assert_eq!((hits[0].line, hits[0].offset), (51, 1002));
    }

    #[test]
    fn end_is_after_the_last_newline_with_its_line_number() {
        let m = Matcher::new("x", false, false).unwrap();
        for (data, want) in [
            (&b"a\nx\npartial x"[..], (4, 3)),
            (b"a\nx\n", (4, 3)),
            (b"no newline", (0, 1)),
            (b"", (0, 1)),
        ] {
            for block in [4096, 1 << 20] {
                for chunk in [1, 3, 5000] {
                    let mut s = Scanner::new(&m, cfg(1, 0, block), 0, 1);
                    assert_eq!(s.end(), None);
                    for piece in data.chunks(chunk) {
                        s.push(piece, &mut |_| Flow::Continue);
                    }
                    s.process(true, &mut |_| Flow::Continue);
                    let e = s.end().unwrap();
                    assert_eq!((e.offset, e.line), want, "{data:?} chunk {chunk}");
                }
            }
        }
        // Long input, many rolls, started mid-content.
        let data = b"line\n".repeat(100_000);
        let mut s = Scanner::new(&m, cfg(0, 0, 4096), 7, 3);
        s.push(&data, &mut |_| Flow::Continue);
        s.push(b"tail", &mut |_| Flow::Continue);
        s.process(true, &mut |_| Flow::Continue);
        assert_eq!(
            s.end(),
            Some(End {
                offset: 7 + 500_000,
                line: 100_003
            })
        );
        // Stopped by max_hits: not searched to the end.
        let mut c = cfg(0, 0, 4096);
        c.max_hits = 1;
        let mut s = Scanner::new(&m, c, 0, 1);
        s.push(b"x\nx\nx\n", &mut |_| Flow::Continue);
        s.process(true, &mut |_| Flow::Continue);
        assert_eq!(s.end(), None);
    }
}
