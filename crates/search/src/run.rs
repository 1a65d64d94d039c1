//! A search over many files: worker threads take files in order (newest first) and scan
//! several at once; each file's hits queue in that file's slot, bounded, and are handed out in
//! file order, so the consumer sees the newest file's matches first while later files are
//! already being read. Nothing waits on the consumer's thread: `next` takes a callback that
//! runs at once when a batch is ready, else when a worker produces one. A full slot makes its
//! worker wait (a slow consumer holds at most `threads x SLOT_BYTES` of results), `limit` and
//! `cancel` stop every worker between two blocks.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::files::{self, FileEntry, Filter, Resume};
use crate::matcher::Matcher;
use crate::scanner::{End, Flow, Hit, ScanConfig, Scanner};
use crate::source::{scan_file, Decode, FileError, Sink};

/// A batch goes out at the latest after this many hits or bytes (and after each block).
const BATCH_HITS: usize = 1024;
const BATCH_BYTES: usize = 1 << 20;
/// Results one file may hold before its worker waits for the consumer.
const SLOT_BYTES: usize = 4 << 20;
const BLOCK: usize = 256 * 1024;

pub struct SearchOptions {
    pub matcher: Matcher,
    pub roots: Vec<PathBuf>,
    pub filter: Filter,
    pub resume: Option<Resume>,
    /// Most matches in all (None: all of them).
    pub limit: Option<u64>,
    pub before: usize,
    pub after: usize,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// The decoder of `.gz` and `.zst` files.
    pub decode: Decode,
}

/// Hits of one file, in order; `error` ends the file's results.
#[derive(Debug, Default)]
pub struct Batch {
    pub path: PathBuf,
    pub mtime_ms: f64,
    pub hits: Vec<Hit>,
    pub error: Option<FileError>,
    /// On the file's last batch when it was searched to its end: where its complete lines end.
    pub end: Option<End>,
}

impl Batch {
    fn weight(&self) -> usize {
        self.hits.iter().map(Hit::weight).sum::<usize>() + 64
    }
}

pub type Waiter = Box<dyn FnOnce(Option<Batch>) + Send>;

#[derive(Default)]
struct Slot {
    batches: VecDeque<(Batch, usize)>,
    bytes: usize,
    done: bool,
}

struct State {
    /// None until the listing is done.
    files: Option<Arc<Vec<FileEntry>>>,
    /// Paths that could not be listed: handed out first.
    listing_errors: VecDeque<Batch>,
    slots: Vec<Slot>,
    head: usize,
    waiter: Option<Waiter>,
    delivered: u64,
    ended: bool,
}

struct Shared {
    state: Mutex<State>,
    space: Condvar,
    stop: AtomicBool,
    next_file: AtomicUsize,
    limit: Option<u64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next batch in file order, if one is ready (`Some(None)`: the search is over).
    fn take(&self, st: &mut State) -> Option<Option<Batch>> {
        if st.ended {
            return Some(None);
        }
        if let Some(b) = st.listing_errors.pop_front() {
            return Some(Some(b));
        }
        let files = st.files.clone()?;
        while st.head < files.len() {
            let head = st.head;
            let slot = &mut st.slots[head];
            if let Some((mut batch, w)) = slot.batches.pop_front() {
                slot.bytes -= w;
                // Consecutive batches of the file go out as one.
                while batch.error.is_none() && batch.hits.len() < BATCH_HITS * 4 {
                    match slot.batches.pop_front() {
                        Some((more, w)) => {
                            slot.bytes -= w;
                            batch.hits.extend(more.hits);
                            batch.error = more.error;
                            batch.end = more.end;
                        }
                        None => break,
                    }
                }
                self.space.notify_all();
                if let Some(limit) = self.limit {
                    let room = limit.saturating_sub(st.delivered);
                    if batch.hits.len() as u64 >= room {
                        batch.hits.truncate(room as usize);
                        batch.error = None;
                        batch.end = None;
                        self.finish(st);
                    }
                }
                st.delivered += batch.hits.len() as u64;
                if batch.hits.is_empty() && batch.error.is_none() && batch.end.is_none() {
                    return if st.ended { Some(None) } else { continue };
                }
                return Some(Some(batch));
            }
            if !slot.done {
                return None;
            }
            st.head += 1;
        }
        self.finish(st);
        Some(None)
    }

    fn finish(&self, st: &mut State) {
        st.ended = true;
        self.stop.store(true, Ordering::Relaxed);
        self.space.notify_all();
    }

    /// Hands the next batch to a parked waiter, if there is one and a batch is ready.
    fn wake(&self, mut st: MutexGuard<'_, State>) {
        if st.waiter.is_none() {
            return;
        }
        if let Some(next) = self.take(&mut st) {
            let w = st.waiter.take();
            drop(st);
            if let Some(w) = w {
                w(next);
            }
        }
    }

    /// Queues a batch of file `i`, waiting while its slot is full.
    fn push(&self, i: usize, batch: Batch) {
        let w = batch.weight();
        let mut st = self.lock();
        while !self.stop.load(Ordering::Relaxed)
            && st.head != i
            && st.slots[i].bytes + w > SLOT_BYTES
            && !st.slots[i].batches.is_empty()
        {
            st = self.space.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        // The head file may hold more: the consumer is reading it now.
        while !self.stop.load(Ordering::Relaxed)
            && st.slots[i].bytes + w > 4 * SLOT_BYTES
            && !st.slots[i].batches.is_empty()
        {
            st = self.space.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        let slot = &mut st.slots[i];
        slot.bytes += w;
        slot.batches.push_back((batch, w));
        self.wake(st);
    }

    fn file_done(&self, i: usize) {
        let mut st = self.lock();
        st.slots[i].done = true;
        self.wake(st);
    }
}

/// The hits of the file being scanned, gathered into batches.
struct Collector<'a> {
    shared: &'a Shared,
    index: usize,
    entry: &'a FileEntry,
    batch: Batch,
    bytes: usize,
}

impl Collector<'_> {
    fn flush(&mut self) {
        if self.batch.hits.is_empty() && self.batch.error.is_none() && self.batch.end.is_none() {
            return;
        }
        let next = Batch {
            path: self.entry.path.clone(),
            mtime_ms: self.entry.mtime_ms,
            ..Batch::default()
        };
        self.shared
            .push(self.index, std::mem::replace(&mut self.batch, next));
        self.bytes = 0;
    }

    fn flow(&self) -> Flow {
        if self.shared.stop.load(Ordering::Relaxed) {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

impl Sink for Collector<'_> {
    fn hit(&mut self, hit: Hit) -> Flow {
        self.bytes += hit.weight();
        self.batch.hits.push(hit);
        if self.batch.hits.len() >= BATCH_HITS || self.bytes >= BATCH_BYTES {
            self.flush();
        }
        self.flow()
    }

    fn block_end(&mut self) -> Flow {
        self.flush();
        self.flow()
    }
}

fn worker(shared: &Shared, files: &[FileEntry], opts: &SearchOptions) {
    let matcher = opts.matcher.clone();
    let cfg = ScanConfig {
        before: opts.before,
        after: opts.after,
        max_hits: opts.limit.unwrap_or(u64::MAX),
        block: BLOCK,
    };
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        let i = shared.next_file.fetch_add(1, Ordering::Relaxed);
        let Some(entry) = files.get(i) else { return };
        let mut c = Collector {
            shared,
            index: i,
            entry,
            batch: Batch {
                path: entry.path.clone(),
                mtime_ms: entry.mtime_ms,
                ..Batch::default()
            },
            bytes: 0,
        };
        // A panic in one file's scan is that file's error; the search goes on.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut scanner = Scanner::new(&matcher, cfg, entry.start_offset, entry.start_line);
            scan_file(entry, &mut scanner, &shared.stop, opts.decode, &mut c).map(|()| {
                if shared.stop.load(Ordering::Relaxed) {
                    None
                } else {
                    scanner.end()
                }
            })
        }))
        .unwrap_or_else(|_| {
            Err(FileError {
                code: "ERR_PANIC",
                message: "search panicked on this file".into(),
            })
        });
        match result {
            Ok(end) => c.batch.end = end,
            Err(e) => c.batch.error = Some(e),
        }
        c.flush();
        shared.file_done(i);
    }
}

/// Hits gathered whole: [`search_file`]'s sink.
struct Gather(Vec<Hit>);

impl Sink for Gather {
    fn hit(&mut self, hit: Hit) -> Flow {
        self.0.push(hit);
        Flow::Continue
    }
    fn block_end(&mut self) -> Flow {
        Flow::Continue
    }
}

/// One file searched on the caller's thread, from `offset` (a line start; line number `line`
/// there) to its end, every hit at once: for a small file, where handing a search to a thread
/// and back costs more than the search.
pub fn search_file(
    matcher: &Matcher,
    path: PathBuf,
    offset: u64,
    line: u64,
    decode: Decode,
) -> Batch {
    let entry = FileEntry {
        path,
        mtime_ms: 0.0,
        walked: false,
        start_offset: offset,
        start_line: line.max(1),
    };
    let cfg = ScanConfig {
        before: 0,
        after: 0,
        max_hits: u64::MAX,
        block: BLOCK,
    };
    let mut scanner = Scanner::new(matcher, cfg, entry.start_offset, entry.start_line);
    let mut gather = Gather(Vec::new());
    let result = scan_file(
        &entry,
        &mut scanner,
        &AtomicBool::new(false),
        decode,
        &mut gather,
    );
    let (end, error) = match result {
        Ok(()) => (scanner.end(), None),
        Err(e) => (None, Some(e)),
    };
    Batch {
        path: entry.path,
        mtime_ms: 0.0,
        hits: gather.0,
        error,
        end,
    }
}

pub struct Search {
    shared: Arc<Shared>,
}

impl Search {
    /// Lists the files and starts the workers, on threads of their own.
    pub fn start(opts: SearchOptions) -> std::io::Result<Search> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                files: None,
                listing_errors: VecDeque::new(),
                slots: Vec::new(),
                head: 0,
                waiter: None,
                delivered: 0,
                ended: opts.limit == Some(0),
                // A search for nothing is over before it starts.
            }),
            space: Condvar::new(),
            stop: AtomicBool::new(opts.limit == Some(0)),
            next_file: AtomicUsize::new(0),
            limit: opts.limit,
        });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("logferry-search".into())
            .spawn(move || plan(s, opts))?;
        Ok(Search { shared })
    }

    /// Calls `waiter` with the next batch (None: no more), now or when one is ready. One call
    /// at a time: a second while one waits gets None.
    pub fn next(&self, waiter: Waiter) {
        let mut st = self.shared.lock();
        if st.waiter.is_some() {
            drop(st);
            return waiter(None);
        }
        st.waiter = Some(waiter);
        self.shared.wake(st);
    }

    /// Stops the workers (between two blocks); a waiting `next` gets None.
    pub fn cancel(&self) {
        let mut st = self.shared.lock();
        self.shared.finish(&mut st);
        self.shared.wake(st);
    }
}

impl Drop for Search {
    fn drop(&mut self) {
        self.cancel();
    }
}

fn plan(shared: Arc<Shared>, opts: SearchOptions) {
    let (files, errors) = files::list(&opts.roots, &opts.filter, opts.resume.as_ref());
    let files = Arc::new(files);
    {
        let mut st = shared.lock();
        st.listing_errors = errors
            .into_iter()
            .map(|(path, e)| Batch {
                path,
                error: Some(FileError::io(&e)),
                ..Batch::default()
            })
            .collect();
        st.slots = (0..files.len()).map(|_| Slot::default()).collect();
        st.files = Some(files.clone());
        shared.wake(st);
    }
    let threads = opts.threads.clamp(1, files.len().max(1));
    let opts = Arc::new(opts);
    let mut handles = Vec::new();
    for _ in 1..threads {
        let (s, f, o) = (shared.clone(), files.clone(), opts.clone());
        match std::thread::Builder::new()
            .name("logferry-search".into())
            .spawn(move || worker(&s, &f, &o))
        {
            Ok(h) => handles.push(h),
            Err(_) => break,
        }
    }
    worker(&shared, &files, &opts);
    for h in handles {
        let _ = h.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::DecodeFailure;
    use std::sync::mpsc;

    fn drain(s: &Search) -> Vec<Batch> {
        let mut out = Vec::new();
        loop {
            let (tx, rx) = mpsc::channel();
            s.next(Box::new(move |b| tx.send(b).unwrap()));
            match rx.recv().unwrap() {
                Some(b) => out.push(b),
                None => return out,
            }
        }
    }

    fn opts(
        roots: Vec<PathBuf>,
        pattern: &str,
        limit: Option<u64>,
        threads: usize,
    ) -> SearchOptions {
        SearchOptions {
            matcher: Matcher::new(pattern, false, false).unwrap(),
            roots,
            filter: Filter::default(),
            resume: None,
            limit,
            before: 0,
            after: 0,
            threads,
            decode: gunzip,
        }
    }

    /// Test decoder (the addon's is the validated one of crates/node/src/decompress.rs).
    fn gunzip(f: &mut std::fs::File, out: &mut dyn std::io::Write) -> Result<(), DecodeFailure> {
        let mut d = flate2::read::MultiGzDecoder::new(f);
        std::io::copy(&mut d, out)
            .map(|_| ())
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidInput
                | std::io::ErrorKind::InvalidData
                | std::io::ErrorKind::UnexpectedEof => DecodeFailure::Invalid(e.to_string()),
                _ => DecodeFailure::Io(e),
            })
    }

    fn corpus(dir: &std::path::Path, files: usize, lines: usize) {
        for f in 0..files {
            let mut s = String::new();
            for l in 0..lines {
                s.push_str(&format!(
                    "file {f} line {l} {}\n",
                    if l % 10 == 0 { "HIT" } else { "-" }
                ));
            }
            let p = dir.join(format!("f{f:02}.log"));
            std::fs::write(&p, s).unwrap();
            let t =
                std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000 + f as u64);
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
    }

    #[test]
    fn files_newest_first_lines_in_order_any_thread_count() {
        let d = tempfile::tempdir().unwrap();
        corpus(d.path(), 12, 30_000);
        for threads in [1, 2, 5] {
            let s = Search::start(opts(vec![d.path().into()], "HIT", None, threads)).unwrap();
            let batches = drain(&s);
            let mut seen = Vec::new();
            for b in &batches {
                let name = b.path.file_name().unwrap().to_str().unwrap().to_string();
                for h in &b.hits {
                    seen.push((name.clone(), h.line));
                }
            }
            let mut want = Vec::new();
            for f in (0..12).rev() {
                for l in (0..30_000).step_by(10) {
                    want.push((format!("f{f:02}.log"), l as u64 + 1));
                }
            }
            assert_eq!(seen, want, "threads {threads}");
        }
    }

    #[test]
    fn limit_is_exact_and_stops_early() {
        let d = tempfile::tempdir().unwrap();
        corpus(d.path(), 4, 30_000);
        for limit in [0, 1, 2999, 3000, 3001, 11_999] {
            let s = Search::start(opts(vec![d.path().into()], "HIT", Some(limit), 2)).unwrap();
            let n: usize = drain(&s).iter().map(|b| b.hits.len()).sum();
            assert_eq!(n as u64, limit);
        }
    }

    #[test]
    fn cancel_ends_a_waiting_search() {
        let d = tempfile::tempdir().unwrap();
        corpus(d.path(), 4, 200_000);
        let s = Search::start(opts(vec![d.path().into()], "HIT", None, 2)).unwrap();
        let (tx, rx) = mpsc::channel();
        s.next(Box::new(move |b| tx.send(b.is_some()).unwrap()));
        assert!(rx.recv().unwrap());
        s.cancel();
        assert!(drain(&s).is_empty());
    }

    #[test]
    fn unreadable_paths_are_reported_and_the_rest_searched() {
        let d = tempfile::tempdir().unwrap();
        corpus(d.path(), 1, 100);
        std::fs::write(d.path().join("bad.gz"), b"not gzip at all\n").unwrap();
        let s = Search::start(opts(
            vec![d.path().join("nope"), d.path().into()],
            "HIT",
            None,
            1,
        ))
        .unwrap();
        let batches = drain(&s);
        let errors: Vec<_> = batches
            .iter()
            .filter_map(|b| {
                b.error
                    .as_ref()
                    .map(|e| (b.path.file_name().unwrap().to_owned(), e.code))
            })
            .collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.contains(&("nope".into(), "ERR_IO")));
        assert!(errors.contains(&("bad.gz".into(), "ERR_CORRUPT")));
        assert_eq!(batches.iter().map(|b| b.hits.len()).sum::<usize>(), 10);
        // A corrupt file has no end; the plain one searched to its end has one.
        let ends: Vec<_> = batches.iter().filter_map(|b| b.end).collect();
        assert_eq!(
            ends,
            [End {
                offset: 1710,
                line: 101
            }]
        );
    }

    #[test]
    fn a_file_from_a_start_offset_ends_after_its_last_complete_line() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        std::fs::write(&p, b"HIT 1\nno\nHIT 3\nno\nHIT partial").unwrap();
        let mut o = opts(vec![p.clone()], "HIT", None, 1);
        o.resume = Some(Resume {
            path: p.clone(),
            mtime_ms: 0.0,
            offset: 6,
            line: 2,
        });
        let batches = drain(&Search::start(o).unwrap());
        let one = search_file(
            &Matcher::new("HIT", false, false).unwrap(),
            p.clone(),
            6,
            2,
            gunzip,
        );
        assert_eq!(one.hits, batches[0].hits);
        assert_eq!(
            one.end,
            Some(End {
                offset: 18,
                line: 5
            })
        );
        let hits: Vec<_> = batches
            .iter()
            .flat_map(|b| b.hits.iter().map(|h| (h.line, h.offset)))
            .collect();
        assert_eq!(hits, [(3, 9), (5, 18)]);
        assert_eq!(
            batches.last().unwrap().end,
            Some(End {
                offset: 18,
                line: 5
            })
        );
        // No match at all: a batch still says where the file ends.
        let batches = drain(&Search::start(opts(vec![p], "none", None, 1)).unwrap());
        assert_eq!(batches.len(), 1);
        assert_eq!(
            batches[0].end,
            Some(End {
                offset: 18,
                line: 5
            })
        );
    }
}
