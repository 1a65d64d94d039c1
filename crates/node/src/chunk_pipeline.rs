//! A large file's pass on three threads at once instead of one: a reader fills chunks, the
//! calling thread hashes each, and (for a copy) a writer writes it. On one thread the read, the
//! hash and the write of a 512 MiB local copy added up (1.7 s, each waiting for the others);
//! here the pass takes as long as its slowest stage. Each chunk has one owner at a time
//! (reader, then hasher, then writer, then back to the reader's pool): the hasher sees the bytes
//! before the writer does, so the digest is of the bytes read, whatever the write does, and
//! memory stays at BUFFERS chunks. Chunks the page cache does not hold are read, and a copy's
//! full chunks written, past it (direct_io.rs).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

use logferry_core::aligned_buf::AlignedBuf;

use crate::direct_io::{all_cached, direct_suits, fill_at, set_direct, ALIGN};
use crate::error::panicked;
use crate::file_digest::{io_error, Digests};

/// Files at least this large go through the pipeline (smaller ones are one or a few reads, for
/// which two threads cost more than they save).
pub(crate) const PIPELINE_MIN: u64 = 8 << 20;
/// Bytes per chunk (a multiple of ALIGN: every chunk but the last starts and ends aligned).
const CHUNK: usize = 2 << 20;
/// Chunks in flight: one per stage plus one queued ahead of the slowest.
const BUFFERS: usize = 4;

/// A filled buffer and how many of its bytes are data.
struct Chunk {
    buf: AlignedBuf,
    len: usize,
}

impl Chunk {
    fn data(&self) -> &[u8] {
        &self.buf.bytes()[..self.len]
    }
}

/// Reads `input` to its end, hashing every byte with `d` and, with `out`, writing it there.
pub(crate) fn hash_and_copy(
    input: &mut File,
    src: &Path,
    d: &mut Digests,
    out: Option<(&mut File, &Path)>,
) -> napi::Result<()> {
    thread::scope(|s| {
        let (free_tx, free_rx) = sync_channel::<AlignedBuf>(BUFFERS);
        let (read_tx, read_rx) = sync_channel::<Chunk>(BUFFERS);
        let reader = thread::Builder::new()
            .name("logferry-read".into())
            .spawn_scoped(s, move || read_chunks(input, src, free_rx, read_tx))
            .map_err(|e| io_error(e, "start a reader thread for", src))?;
        let (writer, to_writer) = match out {
            Some((file, dst)) => {
                let (write_tx, write_rx) = sync_channel::<Chunk>(BUFFERS);
                let back = free_tx.clone();
                let spawned = thread::Builder::new()
                    .name("logferry-write".into())
                    .spawn_scoped(s, move || write_chunks(file, dst, write_rx, back))
                    .map_err(|e| io_error(e, "start a writer thread for", dst));
                match spawned {
                    Ok(w) => (Some(w), Some(write_tx)),
                    // The reader ends when its channel closes (read_rx dropped with this return).
                    Err(e) => return Err(e),
                }
            }
            None => (None, None),
        };
        for chunk in read_rx.iter() {
            d.update(chunk.data());
            match &to_writer {
                // The writer stopped (its error says why): stop reading too.
                Some(tx) => {
                    if tx.send(chunk).is_err() {
                        break;
                    }
                }
                // The reader may have ended already (the last chunk): the buffer is then just freed.
                None => {
                    let _ = free_tx.send(chunk.buf);
                }
            }
        }
        // Closing the channels ends the other stages: the reader's next send and the writer's
        // next receive fail.
        drop(read_rx);
        drop(to_writer);
        drop(free_tx);
        let wrote = writer.map(|w| w.join().unwrap_or_else(|_| Err(panicked())));
        let read = reader.join().unwrap_or_else(|_| Err(panicked()));
        // A failed write is the cause when both failed: the reader then only saw its end.
        wrote.unwrap_or(Ok(())).and(read)
    })
}

fn read_chunks(
    input: &File,
    path: &Path,
    free: Receiver<AlignedBuf>,
    to: SyncSender<Chunk>,
) -> napi::Result<()> {
    let mut source = Source::new(input);
    let mut made = 0;
    let mut offset = 0u64;
    let read = (|| loop {
        let mut buf = match free.try_recv() {
            Ok(b) => b,
            Err(_) if made < BUFFERS => {
                made += 1;
                AlignedBuf::new(CHUNK)
                    .map_err(|e| io_error(e, "allocate a buffer to read", path))?
            }
            Err(_) => match free.recv() {
                Ok(b) => b,
                // Every later stage ended: nothing is waiting for more.
                Err(_) => return Ok(()),
            },
        };
        let len = source
            .read(&mut buf.bytes_mut()[..CHUNK], offset)
            .map_err(|e| io_error(e, "read", path))?;
        offset += len as u64;
        if len == 0 || to.send(Chunk { buf, len }).is_err() || len < CHUNK {
            return Ok(());
        }
    })();
    source.switch(false);
    read
}

/// The file being read, chunk by chunk: what the page cache holds from it, the rest past it.
struct Source<'a> {
    file: &'a File,
    /// Its size when the pass began (only to ask the cache about the last chunk).
    size: u64,
    /// The kernel tells what the cache holds (cachestat).
    probe: bool,
    /// O_DIRECT is on for the file's description now.
    direct: bool,
    /// O_DIRECT works for this file (until it is refused).
    direct_ok: bool,
}

impl<'a> Source<'a> {
    fn new(file: &'a File) -> Self {
        let size = file.metadata().map(|m| m.len()).ok();
        Source {
            file,
            size: size.unwrap_or(0),
            probe: size.is_some(),
            direct: false,
            direct_ok: direct_suits(file),
        }
    }

    /// O_DIRECT on or off; whether it now is as asked.
    fn switch(&mut self, on: bool) -> bool {
        if self.direct != on {
            if set_direct(self.file, on) {
                self.direct = on;
            } else if on {
                self.direct_ok = false;
            }
        }
        self.direct == on
    }

    fn read(&mut self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let len = (buf.len() as u64).min(self.size.saturating_sub(offset));
        let uncached = self.probe && len > 0 && {
            let c = all_cached(self.file, offset, len);
            self.probe = c.is_ok();
            matches!(c, Ok(false))
        };
        if uncached && self.direct_ok && self.switch(true) {
            match fill_at(self.file, buf, offset) {
                // The filesystem takes the flag but not the transfer.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => self.direct_ok = false,
                r => return r,
            }
        }
        self.switch(false);
        fill_at(self.file, buf, offset)
    }
}

fn write_chunks(
    out: &mut File,
    path: &Path,
    from: Receiver<Chunk>,
    back: SyncSender<AlignedBuf>,
) -> napi::Result<()> {
    // Full chunks go past the page cache; the last one, or an unaligned rest, through it.
    let mut direct = direct_suits(out) && set_direct(out, true);
    let wrote = (|| {
        for chunk in from.iter() {
            let data = chunk.data();
            let mut done = 0;
            while done < data.len() {
                if direct && (data.len() < CHUNK || done % ALIGN != 0) {
                    direct = !set_direct(out, false);
                }
                match out.write(&data[done..]) {
                    Ok(0) => return Err(io_error(io::ErrorKind::WriteZero.into(), "write", path)),
                    Ok(n) => done += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    // The filesystem takes the flag but not the transfer: buffered from here.
                    Err(e) if direct && e.raw_os_error() == Some(libc::EINVAL) => {
                        direct = !set_direct(out, false);
                        if direct {
                            return Err(io_error(e, "write", path));
                        }
                    }
                    Err(e) => return Err(io_error(e, "write", path)),
                }
            }
            // The reader may have ended already (the last chunk): the buffer is then just freed.
            let _ = back.send(chunk.buf);
        }
        Ok(())
    })();
    if direct {
        set_direct(out, false);
    }
    wrote
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("lf-pipeline-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn kinds() -> Vec<String> {
        vec!["sha256".into(), "md5".into(), "crc32c".into()]
    }

    /// The one-thread digest of `data`, for comparison.
    fn serial(data: &[u8]) -> crate::file_digest::FileDigest {
        let mut d = Digests::new(&kinds()).unwrap();
        d.update(data);
        d.finish()
    }

    #[test]
    fn copies_and_hashes_every_size_around_the_chunk_edges() {
        let dir = scratch("sizes");
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, BUFFERS * CHUNK * 3 + 5] {
            let data: Vec<u8> = (0..size).map(|i| (i * 131 % 251) as u8).collect();
            let (src, dst) = (dir.join("src"), dir.join("dst"));
            std::fs::write(&src, &data).unwrap();
            let mut input = File::open(&src).unwrap();
            let mut out = File::create(&dst).unwrap();
            let mut d = Digests::new(&kinds()).unwrap();
            hash_and_copy(&mut input, &src, &mut d, Some((&mut out, &dst))).unwrap();
            drop(out);
            assert!(
                std::fs::read(&dst).unwrap() == data,
                "size {size}: copy differs"
            );
            let (got, want) = (d.finish(), serial(&data));
            assert_eq!(
                (got.bytes, &got.sha256, &got.md5, &got.crc32c),
                (want.bytes, &want.sha256, &want.md5, &want.crc32c),
                "size {size}"
            );
            let mut input = File::open(&src).unwrap();
            let mut d = Digests::new(&kinds()).unwrap();
            hash_and_copy(&mut input, &src, &mut d, None).unwrap();
            assert_eq!(d.finish().sha256, want.sha256, "size {size}: hash only");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_write_ends_the_pass_with_its_errno() {
        // /dev/full: every write fails ENOSPC, the disk-full case, on any machine.
        let dir = scratch("full");
        let src = dir.join("src");
        std::fs::write(&src, vec![7u8; BUFFERS * CHUNK * 2]).unwrap();
        let full = Path::new("/dev/full");
        let mut out = std::fs::OpenOptions::new().write(true).open(full).unwrap();
        let mut input = File::open(&src).unwrap();
        let mut d = Digests::new(&kinds()).unwrap();
        let e = hash_and_copy(&mut input, &src, &mut d, Some((&mut out, full))).unwrap_err();
        assert!(
            e.reason.starts_with("ENOSPC: write '/dev/full'"),
            "{}",
            e.reason
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_read_ends_the_pass_with_its_errno() {
        // A directory opens but does not read (EISDIR): the reader's error reaches the caller.
        let dir = scratch("dir");
        let mut input = File::open(&dir).unwrap();
        let mut d = Digests::new(&kinds()).unwrap();
        let e = hash_and_copy(&mut input, &dir, &mut d, None).unwrap_err();
        assert!(e.reason.starts_with("EISDIR: read "), "{}", e.reason);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
