//! What every reader fuzz target checks, whatever the bytes: the reader never panics, never
//! makes an allocation larger than the file (beyond its fixed read buffers), reports damage
//! as `ERR_CORRUPT` with an offset inside the file, and a torn tail inside the file.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use logferry_core::{Error, Format, Reader};

/// The global allocator of the targets: the system one, noting the largest request.
pub struct TrackingAlloc;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for TrackingAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Relaxed);
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Relaxed);
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LARGEST.fetch_max(n, Relaxed);
        System.realloc(p, l, n)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
}

/// The reader's fixed buffers (its 1 MiB read buffer) may exceed a small file.
pub const FIXED_BUFFERS: usize = 1 << 20;

/// What a read of a whole file gave.
pub struct Outcome {
    pub format: Format,
    pub records: Vec<Vec<u8>>,
    pub torn_tail: Option<u64>,
    /// Offset and reason of an `ERR_CORRUPT`.
    pub corrupt: Option<(u64, String)>,
}

/// A scratch file of this process (on tmpfs when there is one).
fn scratch() -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("logferry-fuzz-{}.log", std::process::id()))
}

/// Writes `data` as a log file, reads it to the end (or the first error) and checks the
/// invariants above; panics (a finding) when one does not hold.
pub fn read_checked(data: &[u8]) -> Outcome {
    let path = scratch();
    std::fs::write(&path, data).expect("write scratch file");
    let len = data.len() as u64;
    LARGEST.store(0, Relaxed);
    let mut r = Reader::open(&path).expect("open scratch file");
    let format = r.format();
    let mut records = Vec::new();
    let mut corrupt = None;
    let mut total = 0u64;
    loop {
        match r.next_record() {
            Ok(Some(rec)) => {
                total += rec.len() as u64;
                assert!(total <= len, "records hold more bytes than the file");
                records.push(rec);
            }
            Ok(None) => break,
            Err(Error::Corrupt { offset, reason, .. }) => {
                assert!(
                    offset < len.max(1),
                    "corruption at {offset} outside a {len}-byte file"
                );
                corrupt = Some((offset, reason));
                break;
            }
            Err(e) => panic!("a read of a regular file failed with {}: {e}", e.code()),
        }
    }
    // After the end or an error the reader stays at the end.
    assert!(
        matches!(r.next_record(), Ok(None)),
        "reader not done after the end"
    );
    let largest = LARGEST.load(Relaxed);
    assert!(
        largest <= FIXED_BUFFERS.max(data.len()),
        "allocation of {largest} bytes reading a {len}-byte file"
    );
    let torn_tail = r.torn_tail();
    if let Some(t) = torn_tail {
        assert!(t < len.max(1), "torn tail at {t} outside a {len}-byte file");
    }
    Outcome {
        format,
        records,
        torn_tail,
        corrupt,
    }
}
