//! Many small local-to-local copies in two libuv work items, so a file costs no JS promise,
//! stat or mkdir round trip of its own: `stageFilesHashed` copies each source to its (new,
//! exclusive) temp name, hashing the bytes read; then, after the caller's beforePublish hooks,
//! `publishFiles` reads each temp file back by its name (bytes, sha256: the local store's
//! checksum), and renames it (or links it, for no-clobber) into place only when that matches
//! what the caller expects; every other temp file is removed. Each file succeeds or fails on
//! its own: a failure is that file's `<ERRNO>: <op> '<path>': ...` (or `ERR_PANIC`) and leaves
//! no temp file behind; a file is visible under its final name only once complete and verified.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::error::panicked;
use crate::extract::guarded;
use crate::file_digest::{io_error, Digests, FileDigest, CHUNK};

/// One copy to stage: the source file and the temp name to create beside the target.
#[napi(object)]
pub struct StageItem {
    pub src: String,
    pub tmp: String,
}

/// A staged copy: what was read from the source (the checksums asked for), or the error that
/// ended it.
#[napi(object)]
pub struct StagedFile {
    pub read: Option<FileDigest>,
    pub error: Option<String>,
}

/// What to do with a staged temp file: 'rename' over the target, 'link' (fails if the target
/// exists), or 'discard'; with `expectSha256`, only if the temp file reads back as exactly
/// `expectBytes` bytes of that sha256.
#[napi(object)]
pub struct PublishItem {
    pub tmp: String,
    pub dst: String,
    pub mode: String,
    pub expect_bytes: Option<i64>,
    pub expect_sha256: Option<String>,
}

/// `published`: the file is under its final name. `stored`: the temp file as read back (when
/// an expectation was given and the read-back ran); a mismatch is `published: false` with no
/// error. `error`: the failure of this file.
#[napi(object)]
pub struct PublishOutcome {
    pub published: bool,
    pub stored: Option<FileDigest>,
    pub error: Option<String>,
}

fn read_all(
    f: &mut File,
    path: &Path,
    buf: &mut [u8],
    mut each: impl FnMut(&[u8]) -> napi::Result<()>,
) -> napi::Result<()> {
    loop {
        let n = match f.read(buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e, "read", path)),
        };
        each(&buf[..n])?;
    }
}

/// The parent of `tmp` exists (created once per directory per batch). A path component that
/// is a file is ENOTDIR, as the stream write reports it.
fn ensure_parent(tmp: &Path, made: &mut HashSet<PathBuf>) -> napi::Result<()> {
    let Some(dir) = tmp.parent() else {
        return Ok(());
    };
    if made.contains(dir) {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        if matches!(e.raw_os_error(), Some(17) | Some(20)) {
            napi::Error::new(
                Status::GenericFailure,
                format!("ENOTDIR: mkdir '{}': {e}", dir.display()),
            )
        } else {
            io_error(e, "mkdir", dir)
        }
    })?;
    made.insert(dir.to_path_buf());
    Ok(())
}

fn stage_one(
    item: &StageItem,
    kinds: &[String],
    buf: &mut [u8],
    made: &mut HashSet<PathBuf>,
) -> napi::Result<FileDigest> {
    let src = Path::new(&item.src);
    let tmp = Path::new(&item.tmp);
    let mut read = Digests::new(kinds)
        .map_err(|m| Error::new(Status::InvalidArg, format!("ERR_INVALID_ARG: {m}")))?;
    let mut input = File::open(src).map_err(|e| io_error(e, "open", src))?;
    ensure_parent(tmp, made)?;
    // create_new: like 'wx', the temp name is never shared with another writer.
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(|e| io_error(e, "open", tmp))?;
    let copied = read_all(&mut input, src, buf, |chunk| {
        // Hashed before the write: the digest is of the bytes read, whatever the write does.
        read.update(chunk);
        out.write_all(chunk).map_err(|e| io_error(e, "write", tmp))
    });
    drop(out);
    match copied {
        Ok(()) => Ok(read.finish()),
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            Err(e)
        }
    }
}

fn stage_all(items: &[StageItem], kinds: &[String]) -> Vec<StagedFile> {
    let mut buf = vec![0u8; CHUNK];
    let mut made = HashSet::new();
    items
        .iter()
        .map(|item| {
            let outcome =
                guarded(|| stage_one(item, kinds, &mut buf, &mut made)).unwrap_or_else(|_| {
                    let _ = std::fs::remove_file(&item.tmp);
                    Err(panicked())
                });
            match outcome {
                Ok(read) => StagedFile {
                    read: Some(read),
                    error: None,
                },
                Err(e) => StagedFile {
                    read: None,
                    error: Some(e.reason),
                },
            }
        })
        .collect()
}

/// The temp file as it reads back by its name: bytes and sha256.
fn read_back(tmp: &Path, buf: &mut [u8]) -> napi::Result<FileDigest> {
    let mut stored = Digests::new(&["sha256".to_string()])
        .map_err(|m| Error::new(Status::InvalidArg, format!("ERR_INVALID_ARG: {m}")))?;
    let mut back = File::open(tmp).map_err(|e| io_error(e, "open", tmp))?;
    read_all(&mut back, tmp, buf, |chunk| {
        stored.update(chunk);
        Ok(())
    })?;
    Ok(stored.finish())
}

fn publish_one(item: &PublishItem, buf: &mut [u8]) -> napi::Result<PublishOutcome> {
    let tmp = Path::new(&item.tmp);
    let dst = Path::new(&item.dst);
    let mut outcome = PublishOutcome {
        published: false,
        stored: None,
        error: None,
    };
    let mut mode = item.mode.as_str();
    if let (Some(sha), "rename" | "link") = (item.expect_sha256.as_deref(), mode) {
        let stored = read_back(tmp, buf)?;
        if stored.sha256.as_deref() != Some(sha) || Some(stored.bytes) != item.expect_bytes {
            mode = "discard";
        }
        outcome.stored = Some(stored);
    }
    match mode {
        "rename" => std::fs::rename(tmp, dst).map_err(|e| io_error(e, "rename", dst))?,
        // link() fails if the target appeared meanwhile: no silent replace.
        "link" => {
            std::fs::hard_link(tmp, dst).map_err(|e| io_error(e, "link", dst))?;
            let _ = std::fs::remove_file(tmp);
        }
        "discard" => {
            let _ = std::fs::remove_file(tmp);
            return Ok(outcome);
        }
        other => {
            return Err(Error::new(
                Status::InvalidArg,
                format!("ERR_INVALID_ARG: unknown publish mode '{other}' (rename, link, discard)"),
            ))
        }
    }
    outcome.published = true;
    Ok(outcome)
}

fn publish_all(items: &[PublishItem]) -> Vec<PublishOutcome> {
    let mut buf = vec![0u8; CHUNK];
    items
        .iter()
        .map(|item| {
            guarded(|| publish_one(item, &mut buf))
                .unwrap_or_else(|_| Err(panicked()))
                .unwrap_or_else(|e| {
                    // Whatever failed, the temp name does not stay behind.
                    let _ = std::fs::remove_file(&item.tmp);
                    PublishOutcome {
                        published: false,
                        stored: None,
                        error: Some(e.reason),
                    }
                })
        })
        .collect()
}

pub struct StageTask {
    items: Vec<StageItem>,
    kinds: Vec<String>,
}

impl Task for StageTask {
    type Output = Vec<StagedFile>;
    type JsValue = Vec<StagedFile>;

    fn compute(&mut self) -> napi::Result<Vec<StagedFile>> {
        guarded(|| stage_all(&self.items, &self.kinds)).map_err(|_| panicked())
    }

    fn resolve(&mut self, _env: Env, out: Vec<StagedFile>) -> napi::Result<Vec<StagedFile>> {
        Ok(out)
    }
}

pub struct PublishTask {
    items: Vec<PublishItem>,
}

impl Task for PublishTask {
    type Output = Vec<PublishOutcome>;
    type JsValue = Vec<PublishOutcome>;

    fn compute(&mut self) -> napi::Result<Vec<PublishOutcome>> {
        guarded(|| publish_all(&self.items)).map_err(|_| panicked())
    }

    fn resolve(
        &mut self,
        _env: Env,
        out: Vec<PublishOutcome>,
    ) -> napi::Result<Vec<PublishOutcome>> {
        Ok(out)
    }
}

/// Copies each `src` to its new file `tmp` (parent directories created, once each), hashing
/// the bytes read with `kinds`; one result per item, in order.
#[napi(js_name = "stageFilesHashed", ts_return_type = "Promise<StagedFile[]>")]
pub fn stage_files_hashed_js(items: Vec<StageItem>, kinds: Vec<String>) -> AsyncTask<StageTask> {
    AsyncTask::new(StageTask { items, kinds })
}

/// Publishes (or discards) staged temp files, each checked by a read-back first when an
/// expectation is given; one outcome per item, in order. A temp file not published is removed.
#[napi(js_name = "publishFiles", ts_return_type = "Promise<PublishOutcome[]>")]
pub fn publish_files_js(items: Vec<PublishItem>) -> AsyncTask<PublishTask> {
    AsyncTask::new(PublishTask { items })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lf-batch-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn s(p: &Path) -> String {
        p.to_string_lossy().into_owned()
    }

    fn publish(tmp: &Path, dst: &Path, mode: &str, sha: Option<&str>) -> PublishOutcome {
        publish_all(&[PublishItem {
            tmp: s(tmp),
            dst: s(dst),
            mode: mode.into(),
            expect_bytes: Some(3),
            expect_sha256: sha.map(str::to_string),
        }])
        .remove(0)
    }

    #[test]
    fn stages_each_file_on_its_own() {
        let dir = scratch("stage");
        let a = dir.join("a");
        std::fs::write(&a, b"abc").unwrap();
        let items = vec![
            StageItem {
                src: s(&a),
                tmp: s(&dir.join("out/sub/.a.tmp")),
            },
            StageItem {
                src: s(&dir.join("missing")),
                tmp: s(&dir.join("out/.m.tmp")),
            },
            StageItem {
                src: s(&a),
                tmp: s(&dir.join("a/.x.tmp")),
            },
        ];
        let staged = stage_all(&items, &["sha256".into(), "md5".into()]);
        let read = staged[0].read.as_ref().unwrap();
        assert_eq!(read.sha256.as_deref(), Some(ABC));
        assert_eq!(
            read.md5.as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(std::fs::read(dir.join("out/sub/.a.tmp")).unwrap(), b"abc");
        let missing = staged[1].error.as_deref().unwrap();
        assert!(missing.starts_with("ENOENT: open "), "{missing}");
        let notdir = staged[2].error.as_deref().unwrap();
        assert!(notdir.starts_with("ENOTDIR: "), "{notdir}");
        assert!(!dir.join("out/.m.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn publishes_only_what_reads_back_as_expected() {
        let dir = scratch("publish");
        let tmp = dir.join(".a.tmp");
        let dst = dir.join("a");
        std::fs::write(&tmp, b"abd").unwrap();
        let bad = publish(&tmp, &dst, "rename", Some(ABC));
        assert!(!bad.published && bad.error.is_none());
        assert_eq!(bad.stored.unwrap().bytes, 3);
        assert!(!tmp.exists() && !dst.exists());

        std::fs::write(&dst, b"old").unwrap();
        std::fs::write(&tmp, b"abc").unwrap();
        let refused = publish(&tmp, &dst, "link", Some(ABC));
        let e = refused.error.unwrap();
        assert!(e.starts_with("EEXIST: link "), "{e}");
        assert_eq!(std::fs::read(&dst).unwrap(), b"old");
        assert!(!tmp.exists());

        std::fs::write(&tmp, b"abc").unwrap();
        let ok = publish(&tmp, &dst, "rename", Some(ABC));
        assert!(ok.published && ok.error.is_none());
        assert_eq!(ok.stored.unwrap().sha256.as_deref(), Some(ABC));
        assert_eq!(std::fs::read(&dst).unwrap(), b"abc");
        assert!(!tmp.exists());

        let gone = publish(&tmp, &dst, "rename", Some(ABC));
        assert!(gone.error.unwrap().starts_with("ENOENT: open "));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_existing_temp_name_is_never_shared() {
        let dir = scratch("excl");
        let a = dir.join("a");
        std::fs::write(&a, b"new").unwrap();
        let tmp = dir.join(".a.tmp");
        std::fs::write(&tmp, b"someone else's").unwrap();
        let staged = stage_all(
            &[StageItem {
                src: s(&a),
                tmp: s(&tmp),
            }],
            &["sha256".into()],
        );
        let e = staged[0].error.as_deref().unwrap();
        assert!(e.starts_with("EEXIST: open "), "{e}");
        assert_eq!(std::fs::read(&tmp).unwrap(), b"someone else's");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
