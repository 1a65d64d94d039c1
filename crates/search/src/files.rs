//! The files a search reads, in the order it reads them: every regular file under the given
//! paths, newest modification first (then by path). Like ripgrep: a path given is searched
//! whatever its name (a symbolic link given is followed); inside directories, names starting
//! with `.` are skipped (rsync's temporary files among them) and symbolic links are not followed
//! (a link cannot lead a search out of the tree it was given).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

#[derive(Debug, Clone, PartialEq)]
pub struct FileEntry {
    pub path: PathBuf,
    pub mtime_ms: f64,
    /// Found inside a directory: opened without following a link swapped in since.
    pub walked: bool,
    /// Where to start in the (decoded) content, and the line number there.
    pub start_offset: u64,
    pub start_line: u64,
}

/// Where a previous page of results stopped: the file and the line to go on from.
#[derive(Debug, Clone, PartialEq)]
pub struct Resume {
    pub path: PathBuf,
    pub mtime_ms: f64,
    pub offset: u64,
    pub line: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Modification time in epoch ms: `since` inclusive, `until` exclusive.
    pub since_ms: Option<f64>,
    pub until_ms: Option<f64>,
}

impl Filter {
    fn keeps(&self, mtime_ms: f64) -> bool {
        self.since_ms.is_none_or(|s| mtime_ms >= s) && self.until_ms.is_none_or(|u| mtime_ms < u)
    }
}

fn mtime_ms(meta: &fs::Metadata) -> f64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn walk(dir: &Path, out: &mut Vec<FileEntry>, errors: &mut Vec<(PathBuf, io::Error)>) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return errors.push((dir.to_path_buf(), e)),
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push((dir.to_path_buf(), e));
                continue;
            }
        };
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, out, errors),
            Ok(t) if t.is_file() => match entry.metadata() {
                Ok(m) => out.push(FileEntry {
                    path,
                    mtime_ms: mtime_ms(&m),
                    walked: true,
                    start_offset: 0,
                    start_line: 1,
                }),
                Err(e) => errors.push((path, e)),
            },
            Ok(_) => {}
            Err(e) => errors.push((path, e)),
        }
    }
}

/// `a` before `b`: newest first, then by path.
fn order(a: (f64, &Path), b: (f64, &Path)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1))
}

/// The files under `roots`, filtered and ordered, and the paths that could not be listed.
pub fn list(
    roots: &[PathBuf],
    filter: &Filter,
    resume: Option<&Resume>,
) -> (Vec<FileEntry>, Vec<(PathBuf, io::Error)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in roots {
        match fs::metadata(root) {
            Ok(m) if m.is_dir() => walk(root, &mut files, &mut errors),
            Ok(m) => files.push(FileEntry {
                path: root.clone(),
                mtime_ms: mtime_ms(&m),
                walked: false,
                start_offset: 0,
                start_line: 1,
            }),
            Err(e) => errors.push((root.clone(), e)),
        }
    }
    files.retain(|f| filter.keeps(f.mtime_ms));
    files.sort_by(|a, b| order((a.mtime_ms, &a.path), (b.mtime_ms, &b.path)));
    files.dedup_by(|a, b| a.path == b.path);
    if let Some(r) = resume {
        // The file the page stopped in comes first (even if it changed since), then every file
        // that came after it in the previous order.
        let at = files.iter().position(|f| f.path == r.path);
        let mut current = at.map(|i| files.remove(i));
        files.retain(|f| order((r.mtime_ms, &r.path), (f.mtime_ms, &f.path)).is_lt());
        if let Some(f) = current.as_mut() {
            f.start_offset = r.offset;
            f.start_line = r.line;
        }
        files.splice(0..0, current);
    }
    (files, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn touch(p: &Path, secs: u64) {
        fs::write(p, b"x\n").unwrap();
        let f = fs::File::options().write(true).open(p).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn newest_first_hidden_skipped_links_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::create_dir_all(root.join(".hidden")).unwrap();
        touch(&root.join("old.log"), 1000);
        touch(&root.join("sub/new.log"), 3000);
        touch(&root.join("b.log"), 2000);
        touch(&root.join("a.log"), 2000);
        touch(&root.join(".tmp.log"), 5000);
        touch(&root.join(".hidden/x.log"), 5000);
        let outside = tempfile::tempdir().unwrap();
        touch(&outside.path().join("secret.log"), 9000);
        std::os::unix::fs::symlink(outside.path().join("secret.log"), root.join("link.log"))
            .unwrap();
        let (files, errors) = list(&[root.to_path_buf()], &Filter::default(), None);
        assert!(errors.is_empty());
        let names: Vec<_> = files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["sub/new.log", "a.log", "b.log", "old.log"]);
        // A hidden file or link named explicitly is searched.
        let (files, _) = list(
            &[root.join("link.log"), root.join(".tmp.log")],
            &Filter::default(),
            None,
        );
        assert_eq!(files.len(), 2);
        assert!(!files[0].walked);
    }

    #[test]
    fn filter_and_resume() {
        let d = tempfile::tempdir().unwrap();
        for (n, t) in [("a", 1000), ("b", 2000), ("c", 3000), ("d", 4000)] {
            touch(&d.path().join(n), t);
        }
        let roots = [d.path().to_path_buf()];
        let f = Filter {
            since_ms: Some(2_000_000.0),
            until_ms: Some(4_000_000.0),
        };
        let (files, _) = list(&roots, &f, None);
        let names: Vec<_> = files
            .iter()
            .map(|f| f.path.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["c", "b"]);
        let r = Resume {
            path: d.path().join("c"),
            mtime_ms: 3_000_000.0,
            offset: 10,
            line: 3,
        };
        let (files, _) = list(&roots, &Filter::default(), Some(&r));
        let names: Vec<_> = files
            .iter()
            .map(|f| f.path.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["c", "b", "a"]);
        assert_eq!((files[0].start_offset, files[0].start_line), (10, 3));
        // The file is gone: go on after where it was.
        fs::remove_file(d.path().join("c")).unwrap();
        let (files, _) = list(&roots, &Filter::default(), Some(&r));
        assert_eq!(files.len(), 2);
        let (_, errors) = list(&[d.path().join("missing")], &Filter::default(), None);
        assert_eq!(errors[0].1.kind(), io::ErrorKind::NotFound);
    }
}
