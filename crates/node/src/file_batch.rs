//! Many small local-to-local copies in two libuv work items, so a file costs no JS promise,
//! stat or mkdir round trip of its own: `stageFilesHashed` copies each source to a staged file
//! beside its target, hashing the bytes read; then, after the caller's beforePublish hooks,
//! `publishFiles` reads each staged file back (bytes, sha256: the local store's checksum), and
//! publishes it only when that matches what the caller expects; every other staged file is
//! removed. The staged file is unnamed (unnamed_temp.rs: O_TMPFILE, held open between the two
//! calls, linked under its final name) where the filesystem allows, else a new, exclusive
//! hidden temp name (renamed into place, or linked for no-clobber). Each file succeeds or fails
//! on its own: a failure is that file's `<ERRNO>: <op> '<path>': ...` (or `ERR_PANIC`) and
//! leaves no staged file behind; a file is visible under its final name only once complete and
//! verified. Without hooks between the two, `copyFilesVerified` does both for each file in
//! turn in one work item (one call, no staged fd held across files).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::error::panicked;
use crate::extract::guarded;
use crate::file_digest::{io_error, Digests, FileDigest, CHUNK};
use crate::unnamed_temp;

/// One copy to stage: the source file and the temp name beside the target (its directory is
/// where an unnamed staged file goes; the name is used when the file is staged named).
#[napi(object)]
pub struct StageItem {
    pub src: String,
    pub tmp: String,
}

/// A staged copy: what was read from the source (the checksums asked for), where this process
/// opens the staged bytes (`at`: the temp name, or /proc/self/fd/N of an unnamed file), and,
/// for an unnamed file, the handle it is `held` under until publishFiles; or the error that
/// ended it.
#[napi(object)]
pub struct StagedFile {
    pub read: Option<FileDigest>,
    pub at: Option<String>,
    pub held: Option<u32>,
    pub error: Option<String>,
}

/// What to do with a staged file (`held`: the unnamed one of that handle, else the temp name
/// `tmp`): 'rename' over the target, 'replace' (a rename over a target known to exist), 'link'
/// (fails if the target exists), or 'discard'; with `expectSha256`, only if it reads back as
/// exactly `expectBytes` bytes of that sha256. An unnamed file is linked under `dst`; for
/// 'rename' onto a target that exists (the link fails EEXIST), and for 'replace' (no link tried
/// first), it is linked as `tmp` and that is renamed over the target.
#[napi(object)]
pub struct PublishItem {
    pub tmp: String,
    pub dst: String,
    pub mode: String,
    pub held: Option<u32>,
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

/// The directories of a batch made so far, with their device (None: not asked).
type Made = HashMap<PathBuf, Option<u64>>;

/// The parent of `tmp` exists (created once per directory per batch), and its device when
/// `dev` (what an unnamed staged file is decided by). A path component that is a file is
/// ENOTDIR, as the stream write reports it.
fn ensure_parent<'a>(
    tmp: &'a Path,
    dev: bool,
    made: &mut Made,
) -> napi::Result<Option<(&'a Path, u64)>> {
    let Some(dir) = tmp.parent() else {
        return Ok(None);
    };
    if let Some(known) = made.get(dir) {
        return Ok(known.map(|d| (dir, d)));
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
    // A directory whose device cannot be told gets named temp files.
    let known = if dev {
        std::fs::metadata(dir).ok().map(|m| m.dev())
    } else {
        None
    };
    made.insert(dir.to_path_buf(), known);
    Ok(known.map(|d| (dir, d)))
}

/// Where a copy was staged.
enum Staged {
    Named,
    Unnamed(File),
}

fn stage_one(
    item: &StageItem,
    kinds: &[String],
    unnamed: bool,
    buf: &mut [u8],
    made: &mut Made,
) -> napi::Result<(FileDigest, Staged)> {
    let src = Path::new(&item.src);
    let tmp = Path::new(&item.tmp);
    let mut read = Digests::new(kinds)
        .map_err(|m| Error::new(Status::InvalidArg, format!("ERR_INVALID_ARG: {m}")))?;
    let mut input = File::open(src).map_err(|e| io_error(e, "open", src))?;
    let dir = ensure_parent(tmp, unnamed, made)?;
    if let Some(mut out) = dir.and_then(|(dir, dev)| unnamed_temp::open_unnamed(dir, dev)) {
        // Hashed before the write: the digest is of the bytes read, whatever the write does.
        // On failure the file is dropped: an unnamed file leaves nothing behind.
        read_all(&mut input, src, buf, |chunk| {
            read.update(chunk);
            out.write_all(chunk).map_err(|e| io_error(e, "write", tmp))
        })?;
        return Ok((read.finish(), Staged::Unnamed(out)));
    }
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
        Ok(()) => Ok((read.finish(), Staged::Named)),
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            Err(e)
        }
    }
}

/// The handles a stage pass has held so far: released if the pass ends without handing them
/// to its caller (a panic), so that no fd outlives the call that could publish it.
struct Unclaimed(Vec<u32>);

impl Drop for Unclaimed {
    fn drop(&mut self) {
        for h in self.0.drain(..) {
            drop(unnamed_temp::take(h));
        }
    }
}

fn stage_all(items: &[StageItem], kinds: &[String], unnamed: bool) -> Vec<StagedFile> {
    let mut buf = vec![0u8; CHUNK];
    let mut made = Made::new();
    let mut unclaimed = Unclaimed(Vec::new());
    let staged = items
        .iter()
        .map(|item| {
            let outcome = guarded(|| stage_one(item, kinds, unnamed, &mut buf, &mut made))
                .unwrap_or_else(|_| {
                    let _ = std::fs::remove_file(&item.tmp);
                    Err(panicked())
                });
            match outcome {
                Ok((read, Staged::Named)) => StagedFile {
                    read: Some(read),
                    at: Some(item.tmp.clone()),
                    held: None,
                    error: None,
                },
                Ok((read, Staged::Unnamed(file))) => {
                    let at = unnamed_temp::path_of(&file);
                    let h = unnamed_temp::hold(file);
                    unclaimed.0.push(h);
                    StagedFile {
                        read: Some(read),
                        at: Some(at),
                        held: Some(h),
                        error: None,
                    }
                }
                Err(e) => StagedFile {
                    read: None,
                    at: None,
                    held: None,
                    error: Some(e.reason),
                },
            }
        })
        .collect();
    unclaimed.0.clear();
    staged
}

/// A staged file as it reads back: bytes and sha256.
fn read_back(
    mut next: impl FnMut(&mut [u8]) -> io::Result<usize>,
    at: &Path,
    buf: &mut [u8],
) -> napi::Result<FileDigest> {
    let mut stored = Digests::new(&["sha256".to_string()])
        .map_err(|m| Error::new(Status::InvalidArg, format!("ERR_INVALID_ARG: {m}")))?;
    loop {
        let n = match next(buf) {
            Ok(0) => return Ok(stored.finish()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e, "read", at)),
        };
        stored.update(&buf[..n]);
    }
}

/// The mode a staged file is published by: `item.mode`, or 'discard' when it does not read
/// back as expected (recorded in `outcome.stored`).
fn checked_mode<'a>(
    item: &'a PublishItem,
    outcome: &mut PublishOutcome,
    read: impl FnOnce() -> napi::Result<FileDigest>,
) -> napi::Result<&'a str> {
    let mode = item.mode.as_str();
    // Every mode that may publish is checked (an unknown one too, before it is refused).
    let (Some(sha), false) = (item.expect_sha256.as_deref(), mode == "discard") else {
        return Ok(mode);
    };
    let stored = read()?;
    let matches = stored.sha256.as_deref() == Some(sha) && Some(stored.bytes) == item.expect_bytes;
    outcome.stored = Some(stored);
    Ok(if matches { mode } else { "discard" })
}

fn unknown_mode(other: &str) -> napi::Error {
    Error::new(
        Status::InvalidArg,
        format!("ERR_INVALID_ARG: unknown publish mode '{other}' (rename, replace, link, discard)"),
    )
}

/// The unnamed `file` over the existing `dst`, as a rename replaces: linked as `tmp`, which is
/// renamed over it (removed again if the rename fails).
fn replace_through(file: &File, tmp: &Path, dst: &Path) -> napi::Result<()> {
    unnamed_temp::link_as(file, tmp).map_err(|e| io_error(e, "link", tmp))?;
    if let Err(e) = std::fs::rename(tmp, dst) {
        let _ = std::fs::remove_file(tmp);
        return Err(io_error(e, "rename", dst));
    }
    Ok(())
}

/// Publishes the unnamed staged `file` (read back through its own fd). Whatever happens, the
/// fd is closed when this returns; a failed publish leaves no name behind.
fn publish_held(item: &PublishItem, file: File, buf: &mut [u8]) -> napi::Result<PublishOutcome> {
    let tmp = Path::new(&item.tmp);
    let dst = Path::new(&item.dst);
    let mut outcome = PublishOutcome {
        published: false,
        stored: None,
        error: None,
    };
    let mut at = 0u64;
    let next = |b: &mut [u8]| {
        let n = file.read_at(b, at)?;
        at += n as u64;
        Ok(n)
    };
    let mode = checked_mode(item, &mut outcome, || read_back(next, tmp, buf))?;
    match mode {
        "link" => unnamed_temp::link_as(&file, dst).map_err(|e| io_error(e, "link", dst))?,
        "rename" => match unnamed_temp::link_as(&file, dst) {
            Ok(()) => {}
            // The target exists (or appeared since the stage): replaced as a rename replaces.
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => replace_through(&file, tmp, dst)?,
            Err(e) => return Err(io_error(e, "link", dst)),
        },
        "replace" => replace_through(&file, tmp, dst)?,
        "discard" => return Ok(outcome),
        other => return Err(unknown_mode(other)),
    }
    outcome.published = true;
    Ok(outcome)
}

fn publish_one(item: &PublishItem, buf: &mut [u8]) -> napi::Result<PublishOutcome> {
    if let Some(h) = item.held {
        let Some(file) = unnamed_temp::take(h) else {
            return Err(Error::new(
                Status::GenericFailure,
                format!(
                    "EBADF: publish '{}': its staged copy is not held (published already?)",
                    item.dst
                ),
            ));
        };
        return publish_held(item, file, buf);
    }
    let tmp = Path::new(&item.tmp);
    let dst = Path::new(&item.dst);
    let mut outcome = PublishOutcome {
        published: false,
        stored: None,
        error: None,
    };
    let mode = checked_mode(item, &mut outcome, || {
        let mut back = File::open(tmp).map_err(|e| io_error(e, "open", tmp))?;
        read_back(|b| back.read(b), tmp, buf)
    })?;
    match mode {
        "rename" | "replace" => {
            std::fs::rename(tmp, dst).map_err(|e| io_error(e, "rename", dst))?
        }
        // link() fails if the target appeared meanwhile: no silent replace.
        "link" => {
            std::fs::hard_link(tmp, dst).map_err(|e| io_error(e, "link", dst))?;
            let _ = std::fs::remove_file(tmp);
        }
        "discard" => {
            let _ = std::fs::remove_file(tmp);
            return Ok(outcome);
        }
        other => return Err(unknown_mode(other)),
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
                    // Whatever failed, the temp name does not stay behind (one of an unnamed
                    // file was never made, or was removed by its publish: the name may be
                    // someone else's).
                    match item.held {
                        None => {
                            let _ = std::fs::remove_file(&item.tmp);
                        }
                        // A panic before its publish took it: closed here.
                        Some(h) => drop(unnamed_temp::take(h)),
                    }
                    PublishOutcome {
                        published: false,
                        stored: None,
                        error: Some(e.reason),
                    }
                })
        })
        .collect()
}

/// One copy made start to finish by copyFilesVerified: `src` staged beside `dst` (named `tmp`
/// where it is staged named, or replaces an existing target through that name), published by
/// `mode` (PublishItem's).
pub struct CopyItem {
    pub src: String,
    pub tmp: String,
    pub dst: String,
    pub mode: String,
}

/// What was read (absent when the stage failed), then the publish's outcome as publishFiles
/// gives it.
#[napi(object)]
pub struct CopyOutcome {
    pub read: Option<FileDigest>,
    pub published: bool,
    pub stored: Option<FileDigest>,
    pub error: Option<String>,
}

/// Stages `item` and publishes it right away by its mode (checked by a read-back of the staged
/// bytes when `verify`): the same two steps, with the same cleanup, as stage_all + publish_all.
fn copy_one(
    item: &CopyItem,
    kinds: &[String],
    unnamed: bool,
    verify: bool,
    buf: &mut [u8],
    made: &mut Made,
) -> CopyOutcome {
    let stage = StageItem {
        src: item.src.clone(),
        tmp: item.tmp.clone(),
    };
    let staged = guarded(|| stage_one(&stage, kinds, unnamed, buf, made)).unwrap_or_else(|_| {
        let _ = std::fs::remove_file(&item.tmp);
        Err(panicked())
    });
    let (read, staged) = match staged {
        Ok(ok) => ok,
        Err(e) => {
            return CopyOutcome {
                read: None,
                published: false,
                stored: None,
                error: Some(e.reason),
            }
        }
    };
    let publish = PublishItem {
        tmp: item.tmp.clone(),
        dst: item.dst.clone(),
        mode: item.mode.clone(),
        held: None,
        expect_bytes: verify.then_some(read.bytes),
        expect_sha256: if verify { read.sha256.clone() } else { None },
    };
    let named = matches!(staged, Staged::Named);
    let outcome = guarded(|| match staged {
        Staged::Unnamed(file) => publish_held(&publish, file, buf),
        Staged::Named => publish_one(&publish, buf),
    })
    .unwrap_or_else(|_| Err(panicked()));
    match outcome {
        Ok(o) => CopyOutcome {
            read: Some(read),
            published: o.published,
            stored: o.stored,
            error: None,
        },
        Err(e) => {
            // As publish_all: a named staged file does not stay behind (an unnamed one was
            // closed when its publish returned).
            if named {
                let _ = std::fs::remove_file(&item.tmp);
            }
            CopyOutcome {
                read: Some(read),
                published: false,
                stored: None,
                error: Some(e.reason),
            }
        }
    }
}

fn copy_all(items: &[CopyItem], kinds: &[String], unnamed: bool, verify: bool) -> Vec<CopyOutcome> {
    let mut buf = vec![0u8; CHUNK];
    let mut made = Made::new();
    items
        .iter()
        .map(|item| copy_one(item, kinds, unnamed, verify, &mut buf, &mut made))
        .collect()
}

pub struct CopyTask {
    srcs: String,
    tmps: String,
    dsts: String,
    count: u32,
    kinds: Vec<String>,
    unnamed: bool,
    modes: String,
    verify: bool,
}

impl Task for CopyTask {
    type Output = Vec<CopyOutcome>;
    type JsValue = Vec<CopyOutcome>;

    fn compute(&mut self) -> napi::Result<Vec<CopyOutcome>> {
        let n = self.count as usize;
        let (srcs, tmps, dsts, modes) = (
            split_paths(&self.srcs, n, "srcs")?,
            split_paths(&self.tmps, n, "tmps")?,
            split_paths(&self.dsts, n, "dsts")?,
            split_paths(&self.modes, n, "modes")?,
        );
        let items: Vec<CopyItem> = (0..n)
            .map(|i| CopyItem {
                src: srcs[i].to_string(),
                tmp: tmps[i].to_string(),
                dst: dsts[i].to_string(),
                mode: modes[i].to_string(),
            })
            .collect();
        guarded(|| copy_all(&items, &self.kinds, self.unnamed, self.verify)).map_err(|_| panicked())
    }

    fn resolve(&mut self, _env: Env, out: Vec<CopyOutcome>) -> napi::Result<Vec<CopyOutcome>> {
        Ok(out)
    }
}

pub struct StageTask {
    items: Vec<StageItem>,
    kinds: Vec<String>,
    unnamed: bool,
}

impl Task for StageTask {
    type Output = Vec<StagedFile>;
    type JsValue = Vec<StagedFile>;

    fn compute(&mut self) -> napi::Result<Vec<StagedFile>> {
        guarded(|| stage_all(&self.items, &self.kinds, self.unnamed)).map_err(|_| panicked())
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

/// Copies each `src` to a staged file beside `tmp` (parent directories created, once each):
/// unnamed when `unnamed` and the filesystem allows (held until publishFiles, which every held
/// handle must be given to, if only to discard it), else the new file `tmp`; hashing the bytes
/// read with `kinds`; one result per item, in order.
#[napi(js_name = "stageFilesHashed", ts_return_type = "Promise<StagedFile[]>")]
pub fn stage_files_hashed_js(
    items: Vec<StageItem>,
    kinds: Vec<String>,
    unnamed: bool,
) -> AsyncTask<StageTask> {
    AsyncTask::new(StageTask {
        items,
        kinds,
        unnamed,
    })
}

/// Publishes (or discards) staged files, each checked by a read-back first when an
/// expectation is given; one outcome per item, in order. A staged file not published is
/// removed (an unnamed one is closed).
#[napi(js_name = "publishFiles", ts_return_type = "Promise<PublishOutcome[]>")]
pub fn publish_files_js(items: Vec<PublishItem>) -> AsyncTask<PublishTask> {
    AsyncTask::new(PublishTask { items })
}

/// `count` paths joined by NUL (which no path holds), split back; ERR_INVALID_ARG when they
/// are not `count`, so that no source is ever paired with another item's target.
fn split_paths<'a>(joined: &'a str, count: usize, what: &str) -> napi::Result<Vec<&'a str>> {
    let paths: Vec<&str> = if count == 0 {
        Vec::new()
    } else {
        joined.split('\0').collect()
    };
    if paths.len() != count {
        return Err(Error::new(
            Status::InvalidArg,
            format!(
                "ERR_INVALID_ARG: {what} holds {} paths, expected {count}",
                paths.len()
            ),
        ));
    }
    Ok(paths)
}

/// stageFilesHashed then publishFiles for each of `count` items in turn, with no hook between:
/// item i copies srcs[i] to dsts[i] (staged named as tmps[i]) and is published by modes[i]
/// ('rename', 'replace' or 'link'), each list joined by NUL (one string per list: converting an
/// object per item cost more than its copy); `verify`: publish only what reads back as the
/// bytes read. One outcome per item, in order.
#[allow(clippy::too_many_arguments)]
#[napi(
    js_name = "copyFilesVerified",
    ts_return_type = "Promise<CopyOutcome[]>"
)]
pub fn copy_files_verified_js(
    srcs: String,
    tmps: String,
    dsts: String,
    count: u32,
    kinds: Vec<String>,
    unnamed: bool,
    modes: String,
    verify: bool,
) -> AsyncTask<CopyTask> {
    AsyncTask::new(CopyTask {
        srcs,
        tmps,
        dsts,
        count,
        kinds,
        unnamed,
        modes,
        verify,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn scratch(name: &str) -> PathBuf {
        unnamed_temp::scratch(&format!("batch-{name}"))
    }

    fn s(p: &Path) -> String {
        p.to_string_lossy().into_owned()
    }

    /// One publish of a 3-byte staged file: the named `tmp`, or the unnamed one `held`.
    fn publish_as(
        held: Option<u32>,
        tmp: &Path,
        dst: &Path,
        mode: &str,
        sha: Option<&str>,
    ) -> PublishOutcome {
        publish_all(&[PublishItem {
            tmp: s(tmp),
            dst: s(dst),
            mode: mode.into(),
            held,
            expect_bytes: Some(3),
            expect_sha256: sha.map(str::to_string),
        }])
        .remove(0)
    }

    fn publish(tmp: &Path, dst: &Path, mode: &str, sha: Option<&str>) -> PublishOutcome {
        publish_as(None, tmp, dst, mode, sha)
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
        let staged = stage_all(&items, &["sha256".into(), "md5".into()], false);
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
        for mode in ["rename", "replace", "link"] {
            std::fs::write(&tmp, b"abd").unwrap();
            let bad = publish(&tmp, &dst, mode, Some(ABC));
            assert!(!bad.published && bad.error.is_none(), "{mode}");
            assert_eq!(bad.stored.unwrap().bytes, 3);
            assert!(!tmp.exists() && !dst.exists());
        }

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
            false,
        );
        let e = staged[0].error.as_deref().unwrap();
        assert!(e.starts_with("EEXIST: open "), "{e}");
        assert_eq!(std::fs::read(&tmp).unwrap(), b"someone else's");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn held(staged: &StagedFile) -> u32 {
        staged.held.expect("staged unnamed")
    }

    fn publish_held(h: u32, tmp: &Path, dst: &Path, mode: &str, sha: &str) -> PublishOutcome {
        publish_as(Some(h), tmp, dst, mode, Some(sha))
    }

    #[test]
    fn an_unnamed_staged_file_is_published_by_one_link_and_never_shows_before() {
        let dir = scratch("unnamed");
        let a = dir.join("a");
        std::fs::write(&a, b"abc").unwrap();
        let out = dir.join("out");
        let item = |name: &str| StageItem {
            src: s(&a),
            tmp: s(&out.join(format!(".{name}.tmp"))),
        };
        let items: Vec<StageItem> = ["new", "bad", "taken", "over", "gone"]
            .iter()
            .map(|n| item(n))
            .collect();
        let staged = stage_all(&items, &["sha256".into()], true);
        assert!(staged
            .iter()
            .all(|f| f.error.is_none() && f.at.as_deref().unwrap().starts_with("/proc/self/fd/")));
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            0,
            "nothing named while staged"
        );
        let tmp = |k: usize| PathBuf::from(&items[k].tmp);

        let ok = publish_held(held(&staged[0]), &tmp(0), &out.join("new"), "link", ABC);
        assert!(ok.published && ok.error.is_none());
        assert_eq!(std::fs::read(out.join("new")).unwrap(), b"abc");

        // A changed staged copy (through the path the hook is given) is read back and dropped.
        let mut f = OpenOptions::new()
            .write(true)
            .open(staged[1].at.as_deref().unwrap())
            .unwrap();
        f.write_all(b"x").unwrap();
        drop(f);
        let bad = publish_held(held(&staged[1]), &tmp(1), &out.join("bad"), "rename", ABC);
        assert!(!bad.published && bad.error.is_none());
        assert_ne!(bad.stored.unwrap().sha256.as_deref(), Some(ABC));

        // The target appeared after the stage: no-clobber refuses, a rename replaces.
        std::fs::write(out.join("taken"), b"old").unwrap();
        let refused = publish_held(held(&staged[2]), &tmp(2), &out.join("taken"), "link", ABC);
        assert!(refused.error.unwrap().starts_with("EEXIST: link "));
        assert_eq!(std::fs::read(out.join("taken")).unwrap(), b"old");
        std::fs::write(out.join("over"), b"old").unwrap();
        let replaced = publish_held(held(&staged[3]), &tmp(3), &out.join("over"), "rename", ABC);
        assert!(replaced.published && replaced.error.is_none());
        assert_eq!(std::fs::read(out.join("over")).unwrap(), b"abc");

        let dropped = publish_held(held(&staged[4]), &tmp(4), &out.join("gone"), "discard", ABC);
        assert!(!dropped.published && dropped.error.is_none());
        // Every handle is taken once: a second publish is refused, and nothing was left named.
        let twice = publish_held(held(&staged[0]), &tmp(0), &out.join("again"), "link", ABC);
        assert!(twice.error.unwrap().starts_with("EBADF: "));
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["new", "over", "taken"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_copy_without_hooks_is_staged_read_back_and_published_in_one_pass() {
        for unnamed in [true, false] {
            let dir = scratch(if unnamed {
                "copy-unnamed"
            } else {
                "copy-named"
            });
            let a = dir.join("a");
            std::fs::write(&a, b"abc").unwrap();
            let out = dir.join("out");
            let item = |src: &Path, name: &str, mode: &str| CopyItem {
                src: s(src),
                tmp: s(&out.join(format!(".{name}.tmp"))),
                dst: s(&out.join(name)),
                mode: mode.into(),
            };
            let kinds = ["sha256".to_string(), "md5".to_string()];
            let first = copy_all(
                &[
                    item(&a, "new", "link"),
                    item(&dir.join("missing"), "m", "link"),
                ],
                &kinds,
                unnamed,
                true,
            );
            assert!(first[0].published && first[0].error.is_none());
            let read = first[0].read.as_ref().unwrap();
            assert_eq!(read.sha256.as_deref(), Some(ABC));
            assert_eq!(
                read.md5.as_deref(),
                Some("900150983cd24fb0d6963f7d28e17f72")
            );
            assert_eq!(
                first[0].stored.as_ref().unwrap().sha256.as_deref(),
                Some(ABC)
            );
            assert_eq!(std::fs::read(out.join("new")).unwrap(), b"abc");
            let e = first[1].error.as_deref().unwrap();
            assert!(
                first[1].read.is_none() && e.starts_with("ENOENT: open "),
                "{e}"
            );

            // No-clobber refuses an existing target; a rename replaces it, and so does a
            // replace (known to exist: no link tried first), verified; nothing else is left.
            std::fs::write(out.join("old"), b"old").unwrap();
            let refused = copy_all(&[item(&a, "old", "link")], &kinds, unnamed, true);
            let e = refused[0].error.as_deref().unwrap();
            assert!(
                !refused[0].published && e.starts_with("EEXIST: link "),
                "{e}"
            );
            assert_eq!(std::fs::read(out.join("old")).unwrap(), b"old");
            let replaced = copy_all(&[item(&a, "old", "rename")], &kinds, unnamed, false);
            assert!(replaced[0].published && replaced[0].stored.is_none());
            assert_eq!(std::fs::read(out.join("old")).unwrap(), b"abc");
            let b = dir.join("b");
            std::fs::write(&b, b"bcd").unwrap();
            let again = copy_all(&[item(&b, "old", "replace")], &kinds, unnamed, true);
            assert!(again[0].published && again[0].error.is_none());
            assert_eq!(again[0].stored.as_ref().unwrap().bytes, 3);
            assert_eq!(std::fs::read(out.join("old")).unwrap(), b"bcd");
            let mut names: Vec<String> = std::fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            assert_eq!(names, ["new", "old"]);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn joined_paths_split_back_only_into_as_many_as_expected() {
        assert_eq!(split_paths("a\0b/c", 2, "srcs").unwrap(), ["a", "b/c"]);
        assert!(split_paths("", 0, "srcs").unwrap().is_empty());
        assert_eq!(split_paths("", 1, "srcs").unwrap(), [""]);
        let e = split_paths("a\0b\0c", 2, "dsts").err().unwrap().reason;
        assert!(e.starts_with("ERR_INVALID_ARG: dsts holds 3 paths"), "{e}");
    }
}
