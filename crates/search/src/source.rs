//! One file into a scanner: plain files are read in blocks straight into the scanner's buffer
//! (from the resume offset, by seeking); `.gz` and `.zst` files are decoded while scanning by the
//! [`Decode`] the caller hands in (the addon hands the collect extractor's validated decoder,
//! crates/node/src/decompress.rs), so a truncated or corrupt member is reported after the
//! matches of what decoded before it.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::files::FileEntry;
use crate::scanner::{Flow, Hit, Scanner};

/// Why a decoder stopped.
#[derive(Debug)]
pub enum DecodeFailure {
    /// Reading the file, or writing the decoded bytes, failed.
    Io(io::Error),
    /// The content is not a complete, valid compressed stream: what and where.
    Invalid(String),
}

/// Decodes a compressed file into `out` (every member/frame, checked), pushing blocks as they
/// decode.
pub type Decode = fn(&mut File, &mut dyn Write) -> Result<(), DecodeFailure>;

/// Why a file could not be searched (to the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// `ERR_IO` (open/read), `ERR_CORRUPT` (compressed data), `ERR_PANIC`.
    pub code: &'static str,
    pub message: String,
}

impl FileError {
    pub fn io(e: &io::Error) -> Self {
        FileError {
            code: "ERR_IO",
            message: e.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zstd,
}

fn compression(entry: &FileEntry) -> Option<Compression> {
    let name = entry
        .path
        .file_name()?
        .to_string_lossy()
        .to_ascii_lowercase();
    if name.ends_with(".gz") {
        Some(Compression::Gzip)
    } else if name.ends_with(".zst") || name.ends_with(".zstd") {
        Some(Compression::Zstd)
    } else {
        None
    }
}

fn open(entry: &FileEntry) -> io::Result<File> {
    let mut o = File::options();
    o.read(true);
    #[cfg(unix)]
    if entry.walked {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    o.open(&entry.path)
}

/// Where hits go: `block_end` after each searched block (a batch can go out there).
pub trait Sink {
    fn hit(&mut self, hit: Hit) -> Flow;
    fn block_end(&mut self) -> Flow;
}

/// The decoder's writes become scanner pushes; `Stop` ends the decoding through an error of
/// this type.
#[derive(Debug)]
struct Stopped;
impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("search stopped")
    }
}
impl std::error::Error for Stopped {}

struct Feed<'a, 's, 'm> {
    scanner: &'s mut Scanner<'m>,
    sink: &'a mut dyn Sink,
    stop: &'a AtomicBool,
    /// Decoded bytes still to drop before the resume offset.
    skip: u64,
}

impl Write for Feed<'_, '_, '_> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let n = data.len();
        if self.skip > 0 {
            let k = self.skip.min(n as u64) as usize;
            self.skip -= k as u64;
            data = &data[k..];
        }
        let sink = &mut *self.sink;
        if self.stop.load(Ordering::Relaxed)
            || self.scanner.push(data, &mut |h| sink.hit(h)) == Flow::Stop
            || self.scanner.done()
            || sink.block_end() == Flow::Stop
        {
            return Err(io::Error::other(Stopped));
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Scans `entry` into `scanner`. Stops early when `stop` is set, the sink says so or the
/// scanner is done.
pub fn scan_file(
    entry: &FileEntry,
    scanner: &mut Scanner<'_>,
    stop: &AtomicBool,
    decode: Decode,
    sink: &mut dyn Sink,
) -> Result<(), FileError> {
    let mut file = open(entry).map_err(|e| FileError::io(&e))?;
    let Some(c) = compression(entry) else {
        if entry.start_offset > 0 {
            file.seek(SeekFrom::Start(entry.start_offset))
                .map_err(|e| FileError::io(&e))?;
        }
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let n = loop {
                match file.read(scanner.space()) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(FileError::io(&e)),
                }
            };
            scanner.filled(n);
            // Search full blocks (reads of a page-cached file fill them anyway).
            if n > 0 && !scanner.full() {
                continue;
            }
            let flow = scanner.process(n == 0, &mut |h| sink.hit(h));
            if sink.block_end() == Flow::Stop || flow == Flow::Stop || n == 0 {
                return Ok(());
            }
        }
    };
    let mut feed = Feed {
        scanner,
        sink,
        stop,
        skip: entry.start_offset,
    };
    let result = decode(&mut file, &mut feed);
    match result {
        Ok(()) => {
            finish(feed);
            Ok(())
        }
        Err(DecodeFailure::Io(e)) if e.get_ref().is_some_and(|r| r.is::<Stopped>()) => Ok(()),
        Err(DecodeFailure::Io(e)) => Err(FileError::io(&e)),
        Err(DecodeFailure::Invalid(what)) => {
            // What decoded before the damage is searched to its end.
            finish(feed);
            let format = match c {
                Compression::Gzip => "gzip",
                Compression::Zstd => "zstd",
            };
            Err(FileError {
                code: "ERR_CORRUPT",
                message: format!("{format} content: {what}"),
            })
        }
    }
}

fn finish(feed: Feed<'_, '_, '_>) {
    let sink = feed.sink;
    feed.scanner.process(true, &mut |h| sink.hit(h));
    sink.block_end();
}
