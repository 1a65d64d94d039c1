//! Hashing and copying files on a libuv worker thread, so the JS thread neither hashes nor
//! shuttles bytes: `hashFile` (a store's read-back check of a local file), `copyFileHashed`
//! (a local-to-local copy that hashes the bytes as it writes them), `hashBuffer` (the checksums
//! of one part of a chunked upload) and `NativeHasher` (a whole file's hash fed part by part). Each chunk is read once and
//! fed to every checksum asked for; sha256 uses the CPU's SHA extensions when it has them (the
//! `sha2` crate detects them at run time). I/O errors come back as `<ERRNO>: <op> '<path>': ...`
//! so the TypeScript side keeps the errno as the error's code; a panic is `ERR_PANIC`.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use md5::Md5;
use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use sha2::{Digest, Sha256};

use crate::chunk_pipeline::{hash_and_copy, PIPELINE_MIN};
use crate::error::panicked;
use crate::extract::guarded;

/// Largest read: big files go through in 1 MiB pieces, small ones in one buffer their size.
pub(crate) const CHUNK: usize = 1 << 20;

/// What was hashed: the byte count and the checksums asked for (lowercase hex; crc32c 8 digits).
#[napi(object)]
pub struct FileDigest {
    pub bytes: i64,
    pub sha256: Option<String>,
    pub md5: Option<String>,
    #[napi(js_name = "crc32c")]
    pub crc32c: Option<String>,
}

/// The checksums of one pass over some bytes.
pub(crate) struct Digests {
    sha256: Option<Sha256>,
    md5: Option<Md5>,
    crc32c: Option<u32>,
    bytes: u64,
}

impl Digests {
    pub(crate) fn new(kinds: &[String]) -> std::result::Result<Self, String> {
        let mut d = Digests {
            sha256: None,
            md5: None,
            crc32c: None,
            bytes: 0,
        };
        for k in kinds {
            match k.as_str() {
                "sha256" => d.sha256 = Some(Sha256::new()),
                "md5" => d.md5 = Some(Md5::new()),
                "crc32c" => d.crc32c = Some(0),
                other => return Err(format!("unknown checksum '{other}' (sha256, md5, crc32c)")),
            }
        }
        Ok(d)
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        if let Some(h) = self.sha256.as_mut() {
            h.update(data);
        }
        if let Some(h) = self.md5.as_mut() {
            h.update(data);
        }
        if let Some(c) = self.crc32c.as_mut() {
            *c = crc32c::crc32c_append(*c, data);
        }
        self.bytes += data.len() as u64;
    }

    pub(crate) fn finish(self) -> FileDigest {
        FileDigest {
            bytes: self.bytes as i64,
            sha256: self.sha256.map(|h| hex(&h.finalize())),
            md5: self.md5.map(|h| hex(&h.finalize())),
            crc32c: self.crc32c.map(|c| format!("{c:08x}")),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn errno_name(e: &io::Error) -> String {
    let name = match e.raw_os_error() {
        Some(1) => "EPERM",
        Some(2) => "ENOENT",
        Some(5) => "EIO",
        Some(11) => "EAGAIN",
        Some(13) => "EACCES",
        Some(16) => "EBUSY",
        Some(17) => "EEXIST",
        Some(20) => "ENOTDIR",
        Some(21) => "EISDIR",
        Some(22) => "EINVAL",
        Some(23) => "ENFILE",
        Some(24) => "EMFILE",
        Some(28) => "ENOSPC",
        Some(30) => "EROFS",
        Some(122) => "EDQUOT",
        _ => "EIO",
    };
    name.to_string()
}

/// An I/O failure as `<ERRNO>: <op> '<path>': <message>`.
pub(crate) fn io_error(e: io::Error, op: &str, path: &std::path::Path) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("{}: {op} '{}': {e}", errno_name(&e), path.display()),
    )
}

/// The file's size when known (a failed fstat only loses the choice of pass).
fn size_of(file: &File) -> Option<u64> {
    file.metadata().ok().map(|m| m.len())
}

/// Large files go through the three-thread pipeline (chunk_pipeline.rs).
fn pipelined(file: &File) -> bool {
    size_of(file).is_some_and(|n| n >= PIPELINE_MIN)
}

fn buffer_for(file: &File) -> Vec<u8> {
    let size = size_of(file).map(|n| n as usize).unwrap_or(CHUNK);
    // One byte more than the size: the read that returns 0 needs no second buffer.
    vec![0u8; size.saturating_add(1).clamp(1, CHUNK)]
}

fn hash_file(path: &Path, kinds: &[String]) -> napi::Result<FileDigest> {
    let mut d = Digests::new(kinds)
        .map_err(|m| Error::new(Status::InvalidArg, format!("ERR_INVALID_ARG: {m}")))?;
    let mut f = File::open(path).map_err(|e| io_error(e, "open", path))?;
    if pipelined(&f) {
        hash_and_copy(&mut f, path, &mut d, None)?;
        return Ok(d.finish());
    }
    let mut buf = buffer_for(&f);
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e, "read", path)),
        };
        d.update(&buf[..n]);
    }
    Ok(d.finish())
}

fn copy_hashed(src: &Path, dst: &Path, kinds: &[String]) -> napi::Result<FileDigest> {
    let mut d = Digests::new(kinds)
        .map_err(|m| Error::new(Status::InvalidArg, format!("ERR_INVALID_ARG: {m}")))?;
    let mut input = File::open(src).map_err(|e| io_error(e, "open", src))?;
    let mut buf = buffer_for(&input);
    // create_new: like 'wx', the temp name is never shared with another writer.
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dst)
        .map_err(|e| io_error(e, "open", dst))?;
    let copied = (|| -> napi::Result<()> {
        if pipelined(&input) {
            return hash_and_copy(&mut input, src, &mut d, Some((&mut out, dst)));
        }
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(e, "read", src)),
            };
            // Hashed before the write: the digest is of the bytes read, whatever the write does.
            d.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| io_error(e, "write", dst))?;
        }
    })();
    if let Err(e) = copied {
        drop(out);
        let _ = std::fs::remove_file(dst);
        return Err(e);
    }
    Ok(d.finish())
}

pub struct HashFileTask {
    path: PathBuf,
    kinds: Vec<String>,
}

impl Task for HashFileTask {
    type Output = FileDigest;
    type JsValue = FileDigest;

    fn compute(&mut self) -> napi::Result<FileDigest> {
        guarded(|| hash_file(&self.path, &self.kinds)).map_err(|_| panicked())?
    }

    fn resolve(&mut self, _env: Env, out: FileDigest) -> napi::Result<FileDigest> {
        Ok(out)
    }
}

pub struct CopyFileTask {
    src: PathBuf,
    dst: PathBuf,
    kinds: Vec<String>,
}

impl Task for CopyFileTask {
    type Output = FileDigest;
    type JsValue = FileDigest;

    fn compute(&mut self) -> napi::Result<FileDigest> {
        guarded(|| copy_hashed(&self.src, &self.dst, &self.kinds)).map_err(|_| panicked())?
    }

    fn resolve(&mut self, _env: Env, out: FileDigest) -> napi::Result<FileDigest> {
        Ok(out)
    }
}

/// The checksums `kinds` ('sha256', 'md5', 'crc32c') of the file at `path`, in one read.
#[napi(js_name = "hashFile", ts_return_type = "Promise<FileDigest>")]
pub fn hash_file_js(path: String, kinds: Vec<String>) -> AsyncTask<HashFileTask> {
    AsyncTask::new(HashFileTask {
        path: path.into(),
        kinds,
    })
}

/// Copies `src` to a new file `dst` (which must not exist; removed again if the copy fails),
/// hashing the bytes read with `kinds`.
#[napi(js_name = "copyFileHashed", ts_return_type = "Promise<FileDigest>")]
pub fn copy_file_hashed_js(
    src: String,
    dst: String,
    kinds: Vec<String>,
) -> AsyncTask<CopyFileTask> {
    AsyncTask::new(CopyFileTask {
        src: src.into(),
        dst: dst.into(),
        kinds,
    })
}

pub struct HashBufferTask {
    data: Buffer,
    kinds: Vec<String>,
}

impl Task for HashBufferTask {
    type Output = FileDigest;
    type JsValue = FileDigest;

    fn compute(&mut self) -> napi::Result<FileDigest> {
        let data: &[u8] = &self.data;
        guarded(|| {
            let mut d = Digests::new(&self.kinds)
                .map_err(|m| Error::new(Status::InvalidArg, format!("ERR_INVALID_ARG: {m}")))?;
            d.update(data);
            Ok(d.finish())
        })
        .map_err(|_| panicked())?
    }

    fn resolve(&mut self, _env: Env, out: FileDigest) -> napi::Result<FileDigest> {
        Ok(out)
    }
}

/// The checksums `kinds` of `data`, on a libuv worker thread (the caller must not change
/// `data` until the promise settles).
#[napi(js_name = "hashBuffer", ts_return_type = "Promise<FileDigest>")]
pub fn hash_buffer_js(data: Buffer, kinds: Vec<String>) -> AsyncTask<HashBufferTask> {
    AsyncTask::new(HashBufferTask { data, kinds })
}

/// A running hash fed piece by piece off the JS thread: `update` hashes one buffer on a libuv
/// worker thread; the caller awaits each update before the next (the pieces' order is the
/// hash's), then takes `digest`.
#[napi]
pub struct NativeHasher {
    state: Arc<Mutex<Option<Digests>>>,
}

pub struct HasherUpdateTask {
    state: Arc<Mutex<Option<Digests>>>,
    data: Buffer,
}

impl Task for HasherUpdateTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        let data: &[u8] = &self.data;
        let state = &self.state;
        guarded(|| {
            let mut g = state.lock().unwrap_or_else(|p| p.into_inner());
            match g.as_mut() {
                Some(d) => {
                    d.update(data);
                    Ok(())
                }
                None => Err(Error::new(
                    Status::GenericFailure,
                    "ERR_INVALID_STATE: the hash was already digested".to_string(),
                )),
            }
        })
        .map_err(|_| panicked())?
    }

    fn resolve(&mut self, _env: Env, _out: ()) -> napi::Result<()> {
        Ok(())
    }
}

#[napi]
impl NativeHasher {
    /// `kinds`: 'sha256', 'md5', 'crc32c'.
    #[napi(constructor)]
    pub fn new(kinds: Vec<String>) -> napi::Result<Self> {
        let d = Digests::new(&kinds)
            .map_err(|m| Error::new(Status::InvalidArg, format!("ERR_INVALID_ARG: {m}")))?;
        Ok(NativeHasher {
            state: Arc::new(Mutex::new(Some(d))),
        })
    }

    /// Hashes `data` next, on a libuv worker thread.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn update(&self, data: Buffer) -> AsyncTask<HasherUpdateTask> {
        AsyncTask::new(HasherUpdateTask {
            state: self.state.clone(),
            data,
        })
    }

    /// The checksums of everything hashed (once; later updates fail).
    #[napi]
    pub fn digest(&self) -> napi::Result<FileDigest> {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        g.take().map(Digests::finish).ok_or_else(|| {
            Error::new(
                Status::GenericFailure,
                "ERR_INVALID_STATE: the hash was already digested".to_string(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Vec<String> {
        vec!["sha256".into(), "md5".into(), "crc32c".into()]
    }

    #[test]
    fn known_digests_of_abc() {
        let mut d = Digests::new(&kinds()).unwrap();
        d.update(b"a");
        d.update(b"bc");
        let out = d.finish();
        assert_eq!(out.bytes, 3);
        assert_eq!(
            out.sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(out.md5.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
        // RFC 3720 check value of "123456789" is e3069283; "abc" is 364b3fb7.
        assert_eq!(out.crc32c.as_deref(), Some("364b3fb7"));
    }

    #[test]
    fn copy_hashes_what_it_wrote_and_refuses_an_existing_target() {
        let dir = std::env::temp_dir().join(format!("lf-digest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("src");
        let dst = dir.join("dst");
        let data: Vec<u8> = (0..(3 * CHUNK + 17))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        std::fs::write(&src, &data).unwrap();
        let _ = std::fs::remove_file(&dst);
        let copied = copy_hashed(&src, &dst, &kinds()).unwrap();
        assert_eq!(std::fs::read(&dst).unwrap(), data);
        let hashed = hash_file(&dst, &kinds()).unwrap();
        assert_eq!(copied.bytes, data.len() as i64);
        assert_eq!(copied.sha256, hashed.sha256);
        assert_eq!(copied.md5, hashed.md5);
        assert_eq!(copied.crc32c, hashed.crc32c);
        let again = copy_hashed(&src, &dst, &kinds()).err().unwrap();
        assert!(again.reason.starts_with("EEXIST: "), "{}", again.reason);
        let missing = hash_file(&dir.join("nope"), &kinds()).err().unwrap();
        assert!(missing.reason.starts_with("ENOENT: "), "{}", missing.reason);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
