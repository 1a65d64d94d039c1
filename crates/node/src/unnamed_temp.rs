//! Unnamed temp files (O_TMPFILE) for the batch copies of file_batch.rs: a staged copy has no
//! name until it is linked under its final one, so a new file costs one directory operation
//! (the link) instead of two (the create of a hidden temp name, then its rename), and a crash
//! or an abandoned copy leaves nothing visible (the kernel frees an unnamed inode with its
//! last fd). Between the stage and the publish (two native calls, with the caller's
//! beforePublish hooks between them) the open file waits here, under a handle; the publish
//! takes it out, so every fd is closed by exactly one call. A filesystem that refuses O_TMPFILE
//! is remembered by its device, and gets hidden temp names as before.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Devices whose filesystem answered O_TMPFILE with "not supported".
static REFUSED: OnceLock<Mutex<HashSet<u64>>> = OnceLock::new();
/// Staged unnamed files waiting for their publish, by handle.
static HELD: OnceLock<Mutex<HashMap<u32, File>>> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(1);

fn lock<T: Default>(cell: &'static OnceLock<Mutex<T>>) -> MutexGuard<'static, T> {
    // A panic while the lock was held cannot leave a map half-changed: take it as it is.
    cell.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// The link to a final name goes through /proc/self/fd (linkat with AT_EMPTY_PATH needs
/// CAP_DAC_READ_SEARCH); without /proc there are no unnamed temp files.
fn proc_fd_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| Path::new("/proc/self/fd").is_dir())
}

/// The errno of a filesystem (or kernel) without O_TMPFILE: EOPNOTSUPP, or EISDIR / EINVAL
/// from kernels that take the flag for O_DIRECTORY or do not know it.
fn means_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP) | Some(libc::EISDIR) | Some(libc::EINVAL)
    )
}

fn try_open_unnamed(dir: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
}

/// An unnamed file in `dir` (on device `dev`), open for reading and writing; None where the
/// caller uses a named temp file instead: the filesystem refuses O_TMPFILE (remembered for
/// `dev`), or this open failed otherwise (out of fds, say: the named path then reports what it
/// meets, with its own error).
pub(crate) fn open_unnamed(dir: &Path, dev: u64) -> Option<File> {
    open_unnamed_with(dir, dev, try_open_unnamed)
}

fn open_unnamed_with(
    dir: &Path,
    dev: u64,
    open: impl FnOnce(&Path) -> io::Result<File>,
) -> Option<File> {
    if !proc_fd_available() || lock(&REFUSED).contains(&dev) {
        return None;
    }
    match open(dir) {
        Ok(f) => Some(f),
        Err(e) => {
            if means_unsupported(&e) {
                lock(&REFUSED).insert(dev);
            }
            None
        }
    }
}

/// Where this process opens the bytes of an unnamed file (what a beforePublish hook is given).
pub(crate) fn path_of(file: &File) -> String {
    format!("/proc/self/fd/{}", file.as_raw_fd())
}

/// Keeps `file` until `take(handle)`.
pub(crate) fn hold(file: File) -> u32 {
    let mut held = lock(&HELD);
    loop {
        let h = NEXT.fetch_add(1, Ordering::Relaxed);
        if h != 0 && !held.contains_key(&h) {
            held.insert(h, file);
            return h;
        }
    }
}

/// The file held under `handle`, now the caller's (dropping it closes the fd); None for a
/// handle that is not held (never given, or already taken).
pub(crate) fn take(handle: u32) -> Option<File> {
    lock(&HELD).remove(&handle)
}

/// Gives the unnamed `file` the name `dst`; fails EEXIST if `dst` exists (no silent replace).
pub(crate) fn link_as(file: &File, dst: &Path) -> io::Result<()> {
    let from = CString::new(path_of(file)).map_err(io::Error::other)?;
    let to = CString::new(dst.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: both are NUL-terminated paths that live across the call.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A new, empty directory of one test (this process's: the test binaries may run at once);
/// also the scratch of file_batch.rs's tests.
#[cfg(test)]
pub(crate) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lf-unnamed-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_refusal_is_remembered_for_its_device_only() {
        let dir = scratch("refused");
        // Devices no real directory has, so that the other tests' real ones are not touched.
        let (refusing, other) = (u64::MAX - 7, u64::MAX - 8);
        let refuse = |_: &Path| Err(io::Error::from_raw_os_error(libc::EOPNOTSUPP));
        assert!(open_unnamed_with(&dir, refusing, refuse).is_none());
        let mut asked = false;
        let again = open_unnamed_with(&dir, refusing, |d| {
            asked = true;
            try_open_unnamed(d)
        });
        assert!(again.is_none() && !asked, "the refusal was not remembered");
        assert!(open_unnamed_with(&dir, other, try_open_unnamed).is_some());
        // Out of fds is not "unsupported": this file goes named, the next one tries again.
        let busy = |_: &Path| Err(io::Error::from_raw_os_error(libc::EMFILE));
        assert!(open_unnamed_with(&dir, other, busy).is_none());
        assert!(open_unnamed_with(&dir, other, try_open_unnamed).is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unnamed_file_is_invisible_until_linked_and_the_link_never_replaces() {
        let dir = scratch("link");
        let mut f = try_open_unnamed(&dir).unwrap();
        f.write_all(b"abc").unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        let mut back = String::new();
        File::open(path_of(&f))
            .unwrap()
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, "abc");
        let h = hold(f);
        let f = take(h).unwrap();
        assert!(take(h).is_none(), "a handle is taken once");
        std::fs::write(dir.join("taken"), b"old").unwrap();
        let e = link_as(&f, &dir.join("taken")).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EEXIST));
        assert_eq!(std::fs::read(dir.join("taken")).unwrap(), b"old");
        link_as(&f, &dir.join("a")).unwrap();
        assert_eq!(std::fs::read(dir.join("a")).unwrap(), b"abc");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
