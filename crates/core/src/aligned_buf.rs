//! Page-aligned memory: anonymous mmap on Unix, the aligned allocator elsewhere.

use crate::config::ALIGN;

/// A fixed, page-aligned, zero-initialised region reused for the life of its owner (also the
/// O_DIRECT chunks of the addon's large-file copies, crates/node/src/chunk_pipeline.rs).
pub struct AlignedBuf {
    ptr: *mut u8,
    len: usize,
}

// The region is plain memory; access is coordinated by the shard protocol.
unsafe impl Send for AlignedBuf {}
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    /// At least `len` bytes, rounded up to a multiple of ALIGN.
    pub fn new(len: usize) -> std::io::Result<Self> {
        let len = len.div_ceil(ALIGN).max(1) * ALIGN;
        let ptr = alloc(len)?;
        Ok(AlignedBuf { ptr, len })
    }

    /// The whole region, for owners that use it from one thread at a time.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: ptr/len are the live mapping; &self excludes writes through bytes_mut.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in bytes, and &mut self makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    #[inline]
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Gives the pages of `[from, from + len)` (page aligned) back to the kernel; they read as
    /// zeros afterwards. The caller guarantees nobody uses them meanwhile.
    pub(crate) fn release(&self, from: usize, len: usize) {
        debug_assert!(from % ALIGN == 0 && len % ALIGN == 0 && from + len <= self.len);
        release(self.ptr, from, len);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        free(self.ptr, self.len);
    }
}

#[cfg(all(unix, not(loom)))]
fn alloc(len: usize) -> std::io::Result<*mut u8> {
    // SAFETY: anonymous private mapping, no file descriptor involved.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    Ok(p as *mut u8)
}

#[cfg(all(unix, not(loom)))]
fn free(ptr: *mut u8, len: usize) {
    // SAFETY: ptr/len come from the mmap above.
    unsafe {
        libc::munmap(ptr as *mut libc::c_void, len);
    }
}

#[cfg(all(unix, not(loom)))]
fn release(ptr: *mut u8, from: usize, len: usize) {
    // SAFETY: the range lies inside the private anonymous mapping made by `alloc`; after
    // MADV_DONTNEED its pages are zero-fill-on-demand again.
    unsafe {
        libc::madvise(ptr.add(from) as *mut libc::c_void, len, libc::MADV_DONTNEED);
    }
}

/// Elsewhere the memory stays committed (a lowered limit still bounds what is filled anew).
#[cfg(any(not(unix), loom))]
fn release(_ptr: *mut u8, _from: usize, _len: usize) {}

#[cfg(any(not(unix), loom))]
fn alloc(len: usize) -> std::io::Result<*mut u8> {
    let layout = std::alloc::Layout::from_size_align(len, ALIGN)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: non-zero size layout.
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    if p.is_null() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::OutOfMemory,
            "buffer allocation failed",
        ));
    }
    Ok(p)
}

#[cfg(any(not(unix), loom))]
fn free(ptr: *mut u8, len: usize) {
    let layout = std::alloc::Layout::from_size_align(len, ALIGN).expect("layout");
    // SAFETY: allocated with the same layout.
    unsafe { std::alloc::dealloc(ptr, layout) }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_zeroed() {
        let b = AlignedBuf::new(10_000).unwrap();
        assert_eq!(b.len(), 12_288);
        assert_eq!(b.as_ptr() as usize % ALIGN, 0);
        let s = unsafe { std::slice::from_raw_parts(b.as_ptr(), b.len()) };
        assert!(s.iter().all(|&x| x == 0));
    }
}
