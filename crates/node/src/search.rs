//! `NativeSearch`: the search as a JS object. `next()` returns a promise of the next batch of
//! one file's matches (null at the end), settled from the worker thread that produced it, so
//! the JS thread never waits and no libuv worker is held while a search runs. `cancel()` stops
//! it; a search dropped by the garbage collector is cancelled too.

use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi::{Env, JsDeferred};
use napi_derive::napi;

use logferry_search::{
    search_file, Batch, DecodeFailure, Filter, Matcher, Resume, Search, SearchOptions,
};

use crate::decompress::{self, Failure};

/// `.gz`/`.zst` content through the validated decoder of `logferry collect`: every member
/// decoded and checked (CRC32/ISIZE, zstd checksums), trailing garbage refused.
fn decode(
    file: &mut std::fs::File,
    out: &mut dyn std::io::Write,
) -> std::result::Result<(), DecodeFailure> {
    let mut out = out;
    match decompress::decode(file, &mut out) {
        Ok(_) => Ok(()),
        Err(Failure::Io(e)) => Err(DecodeFailure::Io(e)),
        Err(Failure::Invalid(i)) => Err(DecodeFailure::Invalid(format!(
            "{} at byte {}: {}",
            i.reason.name(),
            i.offset,
            i.detail
        ))),
    }
}

#[napi(object)]
pub struct NativeSearchResume {
    pub path: String,
    pub mtime_ms: f64,
    pub offset: f64,
    pub line: f64,
}

#[napi(object)]
pub struct NativeSearchOptions {
    pub pattern: String,
    /// `pattern` is a regular expression (else a literal).
    pub regex: Option<bool>,
    pub ignore_case: Option<bool>,
    /// Files and directories.
    pub paths: Vec<String>,
    pub limit: Option<f64>,
    pub before: Option<u32>,
    pub after: Option<u32>,
    pub since_ms: Option<f64>,
    pub until_ms: Option<f64>,
    /// Default: the machine's cores.
    pub threads: Option<u32>,
    pub resume: Option<NativeSearchResume>,
}

#[napi(object)]
pub struct NativeSearchMatch {
    pub line_number: f64,
    pub offset: f64,
    /// The line without its `\n`; invalid UTF-8 becomes U+FFFD.
    pub line: String,
    pub before: Option<Vec<String>>,
    pub after: Option<Vec<String>>,
}

#[napi(object)]
pub struct NativeSearchError {
    pub code: String,
    pub message: String,
}

/// Where a file searched to its end stops: after its last line break, and the line number there.
#[napi(object)]
pub struct NativeSearchEnd {
    pub offset: f64,
    pub line: f64,
}

#[napi(object)]
pub struct NativeSearchBatch {
    pub path: String,
    pub mtime_ms: f64,
    pub matches: Vec<NativeSearchMatch>,
    /// The file could not be searched (to its end); its matches before the problem are above.
    pub error: Option<NativeSearchError>,
    /// On the file's last batch when it was searched to its end (a batch may then have no
    /// matches).
    pub end: Option<NativeSearchEnd>,
}

fn text(b: Vec<u8>) -> String {
    match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn to_js(b: Batch, context: bool) -> NativeSearchBatch {
    NativeSearchBatch {
        path: b.path.to_string_lossy().into_owned(),
        mtime_ms: b.mtime_ms,
        matches: b
            .hits
            .into_iter()
            .map(|h| NativeSearchMatch {
                line_number: h.line as f64,
                offset: h.offset as f64,
                line: text(h.text),
                before: context.then(|| h.before.into_iter().map(text).collect()),
                after: context.then(|| h.after.into_iter().map(text).collect()),
            })
            .collect(),
        error: b.error.map(|e| NativeSearchError {
            code: e.code.to_string(),
            message: e.message,
        }),
        end: b.end.map(|e| NativeSearchEnd {
            offset: e.offset as f64,
            line: e.line as f64,
        }),
    }
}

fn invalid_arg(msg: String) -> napi::Error {
    napi::Error::new(Status::InvalidArg, format!("ERR_INVALID_ARG: {msg}"))
}

fn count(name: &str, v: Option<f64>) -> Result<Option<u64>> {
    match v {
        None => Ok(None),
        Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_991.0 => {
            Ok(Some(x as u64))
        }
        Some(x) => Err(invalid_arg(format!(
            "{name} must be a non-negative integer, got {x}"
        ))),
    }
}

/// Patterns compiled lately, most recent last: the error scan starts a search per file with the
/// same pattern, and compiling it (a case-insensitive alternation) costs more than searching
/// 100 KiB. A clone shares the compiled program.
/// Pattern, regex, ignore case.
type PatternKey = (String, bool, bool);

static COMPILED: std::sync::Mutex<Vec<(PatternKey, Matcher)>> = std::sync::Mutex::new(Vec::new());
const COMPILED_KEPT: usize = 8;

fn matcher(pattern: &str, regex: bool, ignore_case: bool) -> Result<Matcher> {
    let key = (pattern.to_string(), regex, ignore_case);
    let mut kept = COMPILED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = kept.iter().position(|(k, _)| *k == key) {
        let entry = kept.remove(i);
        let m = entry.1.clone();
        kept.push(entry);
        return Ok(m);
    }
    let m = Matcher::new(pattern, regex, ignore_case).map_err(|e| {
        napi::Error::new(Status::InvalidArg, format!("ERR_INVALID_PATTERN: {}", e.0))
    })?;
    if kept.len() >= COMPILED_KEPT {
        kept.remove(0);
    }
    kept.push((key, m.clone()));
    Ok(m)
}

#[napi(object)]
pub struct NativeSearchFileOptions {
    pub pattern: String,
    pub regex: Option<bool>,
    pub ignore_case: Option<bool>,
    pub path: String,
    /// A line start (default 0), and its line number (default 1).
    pub offset: Option<f64>,
    pub line: Option<f64>,
}

/// One small file searched on the JS thread, all its matches at once (and where its complete
/// lines end): the error scan's candidates of a file that changed by little, for which a
/// search thread's hand-offs cost more than the search.
#[napi(catch_unwind)]
pub fn search_file_sync(options: NativeSearchFileOptions) -> Result<NativeSearchBatch> {
    let m = matcher(
        &options.pattern,
        options.regex.unwrap_or(false),
        options.ignore_case.unwrap_or(false),
    )?;
    let offset = count("offset", options.offset)?.unwrap_or(0);
    let line = count("line", options.line)?.unwrap_or(1);
    Ok(to_js(
        search_file(&m, PathBuf::from(options.path), offset, line, decode),
        false,
    ))
}

type Resolver = Box<dyn FnOnce(Env) -> Result<Option<NativeSearchBatch>> + Send>;

#[napi]
pub struct NativeSearch {
    search: Search,
    context: bool,
}

#[napi]
impl NativeSearch {
    /// Compiles the pattern (ERR_INVALID_PATTERN) and starts the search.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: NativeSearchOptions) -> Result<Self> {
        let matcher = matcher(
            &options.pattern,
            options.regex.unwrap_or(false),
            options.ignore_case.unwrap_or(false),
        )?;
        let resume = match options.resume {
            None => None,
            Some(r) => Some(Resume {
                path: PathBuf::from(r.path),
                mtime_ms: r.mtime_ms,
                offset: count("resume.offset", Some(r.offset))?.unwrap_or(0),
                line: count("resume.line", Some(r.line))?.unwrap_or(1).max(1),
            }),
        };
        let before = options.before.unwrap_or(0) as usize;
        let after = options.after.unwrap_or(0) as usize;
        let threads = match options.threads {
            Some(0) => return Err(invalid_arg("threads must be at least 1".into())),
            Some(t) => t as usize,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let search = Search::start(SearchOptions {
            matcher,
            roots: options.paths.into_iter().map(PathBuf::from).collect(),
            filter: Filter {
                since_ms: options.since_ms,
                until_ms: options.until_ms,
            },
            resume,
            limit: count("limit", options.limit)?,
            before,
            after,
            threads,
            decode,
        })
        .map_err(|e| {
            napi::Error::new(
                Status::GenericFailure,
                format!("ERR_IO: cannot start a search thread: {e}"),
            )
        })?;
        Ok(NativeSearch {
            search,
            context: before > 0 || after > 0,
        })
    }

    /// The next batch (one file's matches, or its error), or null when the search is over.
    /// One call at a time.
    #[napi(catch_unwind, ts_return_type = "Promise<NativeSearchBatch | null>")]
    pub fn next<'e>(&self, env: &'e Env) -> Result<Object<'e>> {
        let (deferred, promise): (JsDeferred<Option<NativeSearchBatch>, Resolver>, _) =
            env.create_deferred()?;
        let context = self.context;
        self.search.next(Box::new(move |b| {
            deferred.resolve(Box::new(move |_| Ok(b.map(|b| to_js(b, context)))))
        }));
        Ok(promise)
    }

    /// Stops the search; the pending `next()` resolves with null.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.search.cancel();
    }
}
