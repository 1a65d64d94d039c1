//! Large files past the page cache (O_DIRECT) where the cache does not already hold them, for
//! chunk_pipeline.rs. Filling new page-cache pages was most of a large local copy: a 512 MiB
//! write() took 1.3 s of CPU in copy_folio_from_iter_atomic on this machine's VM (0.2 s when the
//! kernel had just freed pages to reuse), an O_DIRECT write of it 0.12 s; its read-back then
//! comes from the disk too, which checks the stored bytes rather than their cached copy. Reads
//! ask the cache first (cachestat), so a file the cache holds is still read from memory. Only
//! filesystems on a local block device go past the cache; elsewhere, or where O_DIRECT is
//! refused, files get ordinary buffered I/O. The cost: a copy waits for the disk to take its
//! bytes instead of leaving them dirty in memory (on a disk slower than one core's sha256,
//! ~1.7 GB/s, the disk sets the pace; the page cache only deferred that write).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;

/// Alignment of O_DIRECT buffers, offsets and lengths (the engine's: the largest logical block
/// size in use); the buffers are the engine's page-aligned AlignedBuf.
pub(crate) use logferry_core::config::ALIGN;

/// Filesystems on a local block device (ext2/3/4, XFS, Btrfs, F2FS), where O_DIRECT goes
/// straight to the disk. Elsewhere (NFS, FUSE, tmpfs, overlays) it can mean one synchronous
/// round trip per chunk, or nothing: their files keep buffered I/O.
const BLOCK_FILESYSTEMS: [u64; 4] = [0xEF53, 0x5846_5342, 0x9123_683E, 0xF2F5_2010];

/// Whether `file` lives on a filesystem where going past the page cache is worth it.
pub(crate) fn direct_suits(file: &File) -> bool {
    let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: fstatfs fills the struct it is given for an fd this File owns.
    if unsafe { libc::fstatfs(file.as_raw_fd(), st.as_mut_ptr()) } != 0 {
        return false;
    }
    // SAFETY: fstatfs succeeded, so it wrote the whole struct.
    let kind = unsafe { st.assume_init() }.f_type as u64;
    BLOCK_FILESYSTEMS.contains(&kind)
}

/// Turns O_DIRECT on or off for `file`'s open file description; false when it cannot be.
pub(crate) fn set_direct(file: &File, on: bool) -> bool {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on an fd this File owns, with integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return false;
    }
    let want = if on {
        flags | libc::O_DIRECT
    } else {
        flags & !libc::O_DIRECT
    };
    want == flags || unsafe { libc::fcntl(fd, libc::F_SETFL, want) } == 0
}

/// cachestat(2) (Linux 6.5; one number on every architecture but alpha), which libc does not
/// name on every target.
const SYS_CACHESTAT: libc::c_long = 451;

#[repr(C)]
struct CachestatRange {
    off: u64,
    len: u64,
}

#[repr(C)]
#[derive(Default)]
struct Cachestat {
    nr_cache: u64,
    nr_dirty: u64,
    nr_writeback: u64,
    nr_evicted: u64,
    nr_recently_evicted: u64,
}

/// Whether the page cache holds every page of `len` bytes at `offset` (cachestat: no I/O, no
/// readahead, which a RWF_NOWAIT read still starts). An error means the kernel cannot tell
/// (ENOSYS before 6.5): read as usual.
pub(crate) fn all_cached(file: &File, offset: u64, len: u64) -> io::Result<bool> {
    if len == 0 {
        return Ok(true);
    }
    // SAFETY: sysconf has no memory arguments.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
    let first = offset / page;
    let pages = (offset + len).div_ceil(page) - first;
    let range = CachestatRange {
        off: first * page,
        len: pages * page,
    };
    let mut stat = Cachestat::default();
    // SAFETY: both structs are repr(C) as the kernel defines them and live across the call.
    let rc = unsafe {
        libc::syscall(
            SYS_CACHESTAT,
            file.as_raw_fd(),
            &range as *const CachestatRange,
            &mut stat as *mut Cachestat,
            0u32,
        )
    };
    if rc == 0 {
        Ok(stat.nr_cache >= pages)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Reads `buf` at `offset` until it is full or the file ends (an O_DIRECT read ends short only
/// at the end of the file); the count read.
pub(crate) fn fill_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        // An unaligned count is the end of the file; a direct read from there is EINVAL.
        if got % ALIGN != 0 {
            break;
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_block_device_filesystems_go_past_the_cache() {
        // procfs (and tmpfs, NFS, FUSE) keep buffered I/O; /tmp is whatever the machine has.
        assert!(!direct_suits(&File::open("/proc/self/status").unwrap()));
    }

    #[test]
    fn a_file_just_written_is_cached_and_reads_back_the_same_either_way() {
        let dir = std::env::temp_dir().join(format!("lf-direct-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        let data: Vec<u8> = (0..(4 * ALIGN + 100)).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let f = File::open(&path).unwrap();
        let mut buf = logferry_core::aligned_buf::AlignedBuf::new(8 * ALIGN).unwrap();
        // Just written: in the cache (where the kernel can tell).
        let len = data.len() as u64;
        if let Ok(cached) = all_cached(&f, 0, len) {
            assert!(cached, "a file just written was not cached");
            assert!(all_cached(&f, ALIGN as u64, len - ALIGN as u64).unwrap());
            assert!(
                !all_cached(&f, 0, len + ALIGN as u64).unwrap(),
                "pages past the end"
            );
        }
        // Past the cache (where the filesystem allows it): the same bytes.
        let direct = set_direct(&f, true);
        let n = fill_at(&f, buf.bytes_mut(), 0).unwrap();
        assert_eq!(&buf.bytes()[..n], &data[..], "direct {direct}");
        assert!(set_direct(&f, false));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
