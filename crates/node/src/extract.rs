//! `extractFile`: validated decompression of one file into a temp file, fsync'd and renamed
//! into place, on a libuv worker thread (the JS thread never decodes). Nothing partial is ever
//! visible at the destination: the temp file lives in `tmp_dir` and is removed on any failure.
//! A panic becomes a rejected promise (`ERR_PANIC`), never a dead Node process.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::decompress::{decode, detect, Decoded, Failure};
use crate::error::panicked;

/// What became of one file. `status`: `ok` (renamed into place), `invalid` (the input is not a
/// complete valid compressed file: quarantine it; `reason` and `offset` say why and where) or
/// `io` (reading, writing, syncing or renaming failed: retry; `errno` names the error).
#[napi(object)]
pub struct ExtractOutcome {
    pub status: String,
    pub format: Option<String>,
    pub bytes_in: i64,
    pub bytes_out: i64,
    pub members: u32,
    pub reason: Option<String>,
    pub offset: Option<i64>,
    pub errno: Option<String>,
    pub message: Option<String>,
}

pub struct ExtractTask {
    source: PathBuf,
    tmp_dir: PathBuf,
    destination: PathBuf,
    formats: Option<Vec<String>>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn errno_name(e: &io::Error) -> String {
    let name = match e.raw_os_error() {
        Some(2) => "ENOENT",
        Some(5) => "EIO",
        Some(13) => "EACCES",
        Some(17) => "EEXIST",
        Some(18) => "EXDEV",
        Some(20) => "ENOTDIR",
        Some(21) => "EISDIR",
        Some(24) => "EMFILE",
        Some(28) => "ENOSPC",
        Some(30) => "EROFS",
        Some(122) => "EDQUOT",
        Some(n) => return format!("E{n}"),
        None => return format!("{:?}", e.kind()),
    };
    name.to_string()
}

fn io_outcome(what: &str, path: &Path, e: io::Error) -> ExtractOutcome {
    ExtractOutcome {
        status: "io".into(),
        format: None,
        bytes_in: 0,
        bytes_out: 0,
        members: 0,
        reason: None,
        offset: None,
        errno: Some(errno_name(&e)),
        message: Some(format!("{what} '{}': {e}", path.display())),
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The outcome for a file whose magic bytes name a format outside `formats`, if it is one
/// (read before anything is decoded or written; the input is left at its start).
fn refused_format(input: &mut File, source: &Path, formats: &[String]) -> Option<ExtractOutcome> {
    let mut head = [0u8; 6];
    let mut n = 0;
    loop {
        match input.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                if n == head.len() {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Some(io_outcome("read", source, e)),
        }
    }
    if let Err(e) = input.seek(SeekFrom::Start(0)) {
        return Some(io_outcome("seek", source, e));
    }
    let format = detect(&head[..n])?;
    if formats.iter().any(|f| f == format.name()) {
        return None;
    }
    Some(ExtractOutcome {
        status: "invalid".into(),
        format: Some(format.name().to_string()),
        bytes_in: 0,
        bytes_out: 0,
        members: 0,
        reason: Some("format_not_enabled".into()),
        offset: Some(0),
        errno: None,
        message: Some(format!(
            "format_not_enabled at byte 0: {} is not among the enabled formats ({})",
            format.name(),
            formats.join(", ")
        )),
    })
}

/// Decodes `source` into a new file of `tmp_dir`, syncs it, renames it to `destination` and
/// syncs the destination directory. The temp file is removed on every failure. With `formats`,
/// a file in another format (by its magic bytes) is refused before anything is written.
pub fn extract(
    source: &Path,
    tmp_dir: &Path,
    destination: &Path,
    formats: Option<&[String]>,
) -> ExtractOutcome {
    let mut input = match File::open(source) {
        Ok(f) => f,
        Err(e) => return io_outcome("open", source, e),
    };
    if let Some(refused) = formats.and_then(|f| refused_format(&mut input, source, f)) {
        return refused;
    }
    let base = destination
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "extract".into());
    let tmp = tmp_dir.join(format!(
        ".{base}.{}.{}.part",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let out = match OpenOptions::new().write(true).create_new(true).open(&tmp) {
        Ok(f) => f,
        Err(e) => return io_outcome("create", &tmp, e),
    };
    let r = write_and_publish(input, out, &tmp, destination);
    if r.status != "ok" {
        let _ = fs::remove_file(&tmp);
    }
    r
}

fn write_and_publish(input: File, out: File, tmp: &Path, destination: &Path) -> ExtractOutcome {
    let mut w = BufWriter::with_capacity(1 << 20, out);
    let decoded: Decoded = match decode(input, &mut w) {
        Ok(d) => d,
        Err(Failure::Io(e)) => return io_outcome("extract to", tmp, e),
        Err(Failure::Invalid(i)) => {
            return ExtractOutcome {
                status: "invalid".into(),
                format: i.format.map(|f| f.name().to_string()),
                bytes_in: 0,
                bytes_out: 0,
                members: 0,
                reason: Some(i.reason.name().to_string()),
                offset: Some(i.offset as i64),
                errno: None,
                message: Some(format!(
                    "{} at byte {}: {}",
                    i.reason.name(),
                    i.offset,
                    i.detail
                )),
            }
        }
    };
    let out = match w.into_inner() {
        Ok(f) => f,
        Err(e) => return io_outcome("write", tmp, e.into_error()),
    };
    if let Err(e) = out.sync_all() {
        return io_outcome("fsync", tmp, e);
    }
    drop(out);
    if let Err(e) = fs::rename(tmp, destination) {
        return io_outcome("rename into", destination, e);
    }
    let dir = destination.parent().unwrap_or(Path::new("."));
    if let Err(e) = sync_dir(dir) {
        return io_outcome("fsync directory", dir, e);
    }
    ExtractOutcome {
        status: "ok".into(),
        format: Some(decoded.format.name().to_string()),
        bytes_in: decoded.bytes_in as i64,
        bytes_out: decoded.bytes_out as i64,
        members: decoded.members,
        reason: None,
        offset: None,
        errno: None,
        message: None,
    }
}

/// Runs `f`; a panic comes back as `Err` (its message) instead of unwinding into Node.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

impl Task for ExtractTask {
    type Output = ExtractOutcome;
    type JsValue = ExtractOutcome;

    fn compute(&mut self) -> napi::Result<ExtractOutcome> {
        guarded(|| {
            extract(
                &self.source,
                &self.tmp_dir,
                &self.destination,
                self.formats.as_deref(),
            )
        })
        .map_err(|_| panicked())
    }

    fn resolve(&mut self, _env: Env, out: ExtractOutcome) -> napi::Result<ExtractOutcome> {
        Ok(out)
    }
}

/// Extracts `source` (gzip, bzip2, xz or zstd, by magic bytes) to `destination` through a temp
/// file in `tmpDir` (same filesystem as `destination`: the publish is a rename). `formats`
/// (names as in `format`): a file in any other format is `invalid` with `format_not_enabled`.
#[napi(ts_return_type = "Promise<ExtractOutcome>")]
pub fn extract_file(
    source: String,
    tmp_dir: String,
    destination: String,
    formats: Option<Vec<String>>,
) -> AsyncTask<ExtractTask> {
    AsyncTask::new(ExtractTask {
        source: source.into(),
        tmp_dir: tmp_dir.into(),
        destination: destination.into(),
        formats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught() {
        let r: std::result::Result<(), String> = guarded(|| panic!("decoder bug"));
        assert_eq!(r.unwrap_err(), "decoder bug");
        assert_eq!(guarded(|| 7), Ok(7));
    }

    #[test]
    fn failures_leave_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("lf-extract-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let src = dir.join("bad.gz");
        fs::write(&src, b"\x1f\x8b\x08\x00garbage").unwrap();
        let dst = dir.join("bad");
        let r = extract(&src, &dir, &dst, None);
        assert_eq!(r.status, "invalid");
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("bad.gz")]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_format_not_enabled_is_refused_before_writing() {
        let dir = std::env::temp_dir().join(format!("lf-extract-fmt-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let src = dir.join("a.xz");
        fs::write(&src, b"\xfd7zXZ\x00rest").unwrap();
        let dst = dir.join("a");
        let only_gzip = ["gzip".to_string()];
        let r = extract(&src, &dir, &dst, Some(&only_gzip));
        assert_eq!(r.status, "invalid");
        assert_eq!(r.reason.as_deref(), Some("format_not_enabled"));
        assert_eq!(r.format.as_deref(), Some("xz"));
        assert!(!dst.exists());
        // Enabled: decoded as usual (this input is a truncated xz stream).
        let with_xz = ["gzip".to_string(), "xz".to_string()];
        let r = extract(&src, &dir, &dst, Some(&with_xz));
        assert_ne!(r.reason.as_deref(), Some("format_not_enabled"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
