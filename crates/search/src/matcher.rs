//! Which lines match: a literal through memchr's `memmem` (SIMD substring search), or a pattern
//! through the `regex` crate (the engine ripgrep uses, with its own literal prefilters). Both
//! run over a whole block of lines at once, not line by line: a candidate is found in the block,
//! then its line is located. Line semantics are ripgrep's: a line is the bytes between two `\n`
//! (a `\r` before the `\n` belongs to the line), `^`/`$` match at line boundaries, and a match
//! never spans a line break (a regex match that crosses one is re-checked on its first line
//! alone, which is what ripgrep gets by removing `\n` from the pattern).
//!
//! Case-insensitive ASCII literals (`ERROR|WARN|oom` with `ignore_case`, the error scan's
//! candidate) are the exception to "one engine": Unicode case folding turns every letter into a
//! class, which defeats the regex crate's literal prefilters (its lazy DFA then reads ~0.5
//! GB/s). They are searched lowercase in an ASCII-lowercased copy of the block instead, where
//! the multi-literal prefilter (Teddy) applies (~5 GB/s with the copy). The answer is the same:
//! the only non-ASCII characters that fold to ASCII letters are `ſ` (s) and the Kelvin sign (k),
//! and a block holding one the literals could need is searched by the case-folding regex.

use std::sync::Arc;

use memchr::{memchr, memmem, memrchr};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

/// A clone shares the compiled pattern and its pool of search caches (the regex crate's pool is
/// sharded by thread): a search started with a pattern used before starts with warm caches.
#[derive(Clone)]
pub enum Matcher {
    Literal(Arc<memmem::Finder<'static>>),
    Regex(Arc<regex::bytes::Regex>),
    Folded(Arc<FoldedLiterals>),
}

/// Case-insensitive ASCII literals, searched in an ASCII-lowercased copy of the haystack.
pub struct FoldedLiterals {
    /// The literals lowercased, matched case-sensitively in the lowercased copy.
    lower: regex::bytes::Regex,
    /// The pattern with Unicode case folding: for a block holding one of `specials`.
    exact: regex::bytes::Regex,
    /// The non-ASCII characters that fold to a letter of the literals (`ſ`, the Kelvin sign).
    specials: Vec<memmem::Finder<'static>>,
}

/// What a [`Matcher`] keeps between the searches of one block: its lowercased copy. Cleared
/// whenever the block's bytes change.
#[derive(Default)]
pub struct Scratch {
    folded: Vec<u8>,
    /// `hay[from..to]` is folded into `folded[from..to]`.
    range: Option<(usize, usize)>,
    /// The folded range holds a special character: search it with the exact regex.
    exact: bool,
}

impl Scratch {
    pub fn clear(&mut self) {
        self.range = None;
    }
}

/// The regex crate's compiled-size bound (its default is 10 MiB); a pattern above it is refused.
const REGEX_SIZE_LIMIT: usize = 64 * 1024 * 1024;

/// The literals of `pattern` when it is nothing but printable ASCII literals separated by `|`
/// (regex syntax: a metacharacter only escaped), else None. `regex`: `pattern` is regex syntax.
fn ascii_literals(pattern: &str, regex: bool) -> Option<Vec<String>> {
    let printable = |c: char| c == '\t' || (' '..='~').contains(&c);
    if !regex {
        return (!pattern.is_empty() && pattern.chars().all(printable))
            .then(|| vec![pattern.to_string()]);
    }
    let mut out = vec![String::new()];
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push(String::new()),
            // An escaped metacharacter is itself (what `regex::escape` writes); `\d`, `\<`, `\x41`... are not literals.
            '\\' => match chars.next() {
                Some(e) if r"\.+*?()|[]{}^$#&-~".contains(e) => out.last_mut()?.push(e),
                _ => return None,
            },
            '.' | '+' | '*' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '^' | '$' => return None,
            c if printable(c) => out.last_mut()?.push(c),
            _ => return None,
        }
    }
    // An empty alternative matches every line: the regex handles it.
    (!out.iter().any(String::is_empty)).then_some(out)
}

/// ASCII lowercase, branch-free (the loop vectorises: ~10 GB/s).
fn fold_ascii(dst: &mut [u8], src: &[u8]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s | (u8::from(s.wrapping_sub(b'A') < 26) << 5);
    }
}

/// The first line of `hay[from..]` holding a match of `re` (see [`Matcher::find_line`]).
fn regex_line(re: &regex::bytes::Regex, hay: &[u8], from: usize) -> Option<(usize, usize)> {
    let end = hay.len();
    let mut pos = from;
    while pos < end {
        let m = re.find_at(hay, pos)?;
        let (start, stop) = (m.start(), m.end());
        // An empty match right after the last `\n` is not on a line.
        if start == end && hay[end - 1] == b'\n' {
            return None;
        }
        let line_start = memrchr(b'\n', &hay[pos..start]).map_or(pos, |i| pos + i + 1);
        let line_end = memchr(b'\n', &hay[start..]).map_or(end, |i| start + i);
        if stop <= line_end {
            return Some((line_start, line_end));
        }
        // Crossed a line break: does the line hold a match of its own?
        if re.is_match(&hay[line_start..line_end]) {
            return Some((line_start, line_end));
        }
        pos = line_end + 1;
    }
    None
}

impl Matcher {
    /// `regex`: `pattern` is a regular expression (regex crate syntax, as ripgrep's default),
    /// else a literal. `ignore_case`: Unicode simple case folding (as `rg -i`); a literal then
    /// goes through the regex engine, escaped (as `rg -F -i`).
    pub fn new(pattern: &str, regex: bool, ignore_case: bool) -> Result<Self, PatternError> {
        if pattern.contains('\n') {
            return Err(PatternError(
                "contains a line break (a match never spans lines)".into(),
            ));
        }
        if !regex && !ignore_case {
            return Ok(Matcher::Literal(Arc::new(
                memmem::Finder::new(pattern.as_bytes()).into_owned(),
            )));
        }
        let source = if regex {
            pattern.to_string()
        } else {
            regex::escape(pattern)
        };
        let build = |source: &str, ignore_case: bool| {
            regex::bytes::RegexBuilder::new(source)
                .multi_line(true)
                .case_insensitive(ignore_case)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| PatternError(e.to_string()))
        };
        let exact = build(&source, ignore_case)?;
        if let Some(literals) = ignore_case
            .then(|| ascii_literals(pattern, regex))
            .flatten()
        {
            let lower: Vec<String> = literals
                .iter()
                .map(|l| regex::escape(&l.to_ascii_lowercase()))
                .collect();
            let has = |c: char| {
                literals
                    .iter()
                    .any(|l| l.contains(c) || l.contains(c.to_ascii_uppercase()))
            };
            let specials = [('s', "\u{17F}"), ('k', "\u{212A}")]
                .into_iter()
                .filter(|&(c, _)| has(c))
                .map(|(_, s)| memmem::Finder::new(s.as_bytes()).into_owned())
                .collect();
            return Ok(Matcher::Folded(Arc::new(FoldedLiterals {
                lower: build(&lower.join("|"), false)?,
                exact,
                specials,
            })));
        }
        Ok(Matcher::Regex(Arc::new(exact)))
    }

    /// The first matching line in `hay[from..]`, as `(start, end)` with `end` the index of its
    /// `\n` (or `hay.len()` for a last line without one). `from` is a line start; `hay` ends at a
    /// line end (after a `\n`, or at the end of the input).
    pub fn find_line(&self, hay: &[u8], from: usize) -> Option<(usize, usize)> {
        self.find_line_in(hay, from, &mut Scratch::default())
    }

    /// [`Matcher::find_line`] for repeated searches of one `hay` (the same bytes until
    /// `scratch` is cleared): the work done for the block once is kept in `scratch`.
    pub fn find_line_in(
        &self,
        hay: &[u8],
        from: usize,
        scratch: &mut Scratch,
    ) -> Option<(usize, usize)> {
        let end = hay.len();
        match self {
            Matcher::Literal(f) => {
                let mut pos = from;
                while pos < end {
                    let at = pos + f.find(&hay[pos..])?;
                    let stop = at + f.needle().len();
                    // An empty match right after the last `\n` is not on a line.
                    if at == end && hay[end - 1] == b'\n' {
                        return None;
                    }
                    let line_start = memrchr(b'\n', &hay[pos..at]).map_or(pos, |i| pos + i + 1);
                    let line_end = memchr(b'\n', &hay[at..]).map_or(end, |i| at + i);
                    if stop <= line_end {
                        return Some((line_start, line_end));
                    }
                    pos = line_end + 1;
                }
                None
            }
            Matcher::Regex(re) => regex_line(re, hay, from),
            Matcher::Folded(f) => {
                if from >= end {
                    return None;
                }
                if !matches!(scratch.range, Some((lo, hi)) if lo <= from && hi == end) {
                    // Bytes before `from` are left as they were: literals look at no context.
                    if scratch.folded.len() < end {
                        scratch.folded.resize(end, 0);
                    }
                    fold_ascii(&mut scratch.folded[from..end], &hay[from..end]);
                    scratch.exact = f.specials.iter().any(|s| s.find(&hay[from..end]).is_some());
                    scratch.range = Some((from, end));
                }
                if scratch.exact {
                    return regex_line(&f.exact, hay, from);
                }
                // A literal holds no `\n`: its match is inside one line.
                let m = f.lower.find_at(&scratch.folded[..end], from)?;
                let line_start =
                    memrchr(b'\n', &hay[from..m.start()]).map_or(from, |i| from + i + 1);
                let line_end = memchr(b'\n', &hay[m.start()..]).map_or(end, |i| m.start() + i);
                Some((line_start, line_end))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(m: &Matcher, hay: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some((s, e)) = m.find_line(hay, pos) {
            out.push(String::from_utf8_lossy(&hay[s..e]).into_owned());
            if e >= hay.len() {
                break;
            }
            pos = e + 1;
        }
        out
    }

    #[test]
    fn literal_finds_each_matching_line_once() {
        let m = Matcher::new("ab", false, false).unwrap();
        assert_eq!(lines(&m, b"xab ab\nno\nab\n"), ["xab ab", "ab"]);
        assert_eq!(lines(&m, b"ab"), ["ab"]);
        assert!(lines(&m, b"a\nb\n").is_empty());
    }

    #[test]
    fn regex_never_spans_lines() {
        let m = Matcher::new(r"a\s+b", true, false).unwrap();
        assert!(lines(&m, b"a\nb\n").is_empty());
        assert_eq!(lines(&m, b"a\n b\na  b\n"), ["a  b"]);
        let m = Matcher::new(r"[^x]+z", true, false).unwrap();
        assert!(lines(&m, b"q\nz\n").is_empty());
        assert_eq!(lines(&m, b"q\nyz\n"), ["yz"]);
        let m = Matcher::new(r"\n", true, false).unwrap();
        assert!(lines(&m, b"a\nb\n").is_empty());
    }

    #[test]
    fn anchors_are_per_line_and_cr_belongs_to_the_line() {
        let m = Matcher::new(r"^b$", true, false).unwrap();
        assert_eq!(lines(&m, b"a\nb\nb\r\nab\n"), ["b"]);
        let m = Matcher::new(r"b\r$", true, false).unwrap();
        assert_eq!(lines(&m, b"b\r\n"), ["b\r"]);
    }

    #[test]
    fn empty_pattern_matches_every_line() {
        let m = Matcher::new("", false, false).unwrap();
        assert_eq!(lines(&m, b"a\n\nb\n"), ["a", "", "b"]);
        assert_eq!(lines(&m, b"a\nb"), ["a", "b"]);
        let m = Matcher::new("x*", true, false).unwrap();
        assert_eq!(lines(&m, b"a\n\n"), ["a", ""]);
    }

    #[test]
    fn ignore_case_folds_unicode() {
        let m = Matcher::new("ÉCHEC", false, true).unwrap();
        assert_eq!(lines(&m, "x échec\nechec\n".as_bytes()), ["x échec"]);
        let m = Matcher::new("a.c", false, true).unwrap();
        assert_eq!(lines(&m, b"abc\nA.C\n"), ["A.C"]);
    }

    #[test]
    fn case_insensitive_ascii_literals_are_folded_and_answer_as_the_regex() {
        let folded =
            |p: &str, re: bool| matches!(Matcher::new(p, re, true).unwrap(), Matcher::Folded(_));
        assert!(folded("ERR|WARN|TIME LIMIT|a\\.b|x\\|y", true));
        assert!(folded("a.b(", false));
        for p in [
            "a.b", r"\d|x", "a||b", "|a", r"\<x", "é|x", "(?-i)x", "x*", "", r"\n",
        ] {
            assert!(!folded(p, true), "{p}");
        }
        assert!(!matches!(
            Matcher::new("ERR", true, false).unwrap(),
            Matcher::Folded(_)
        ));
        let tokens = "FATAL|CRITICAL|PANIC|ERR|WARN|level|severity|lvl|CUDA|NCCL|Watchdog|TIME LIMIT|CANCELLED|slurmstepd|oom|out of memory|segfault|Segmentation|SIGSEGV|Traceback|a\\.b|x\\|y";
        let pieces: [&[u8]; 16] = [
            b"plain text ",
            b"ErRoR ",
            b"wArN",
            b"\xc5\xbfegfault",
            b"Tracebac\xe2\x84\xaa",
            b"OOM",
            b"o\r",
            b"\xff\xfe",
            b"time  limit",
            b"TIME LIMIT",
            b"a.b",
            b"axb",
            b"x|y",
            b"\n",
            b"\n",
            "é Level".as_bytes(),
        ];
        // Lines of pseudo-random pieces; some blocks hold ſ or the Kelvin sign, most do not.
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for (p, re) in [
            (tokens, true),
            ("segfault|traceback", true),
            ("TIME LIMIT", false),
            ("xyz", true),
        ] {
            let m = Matcher::new(p, re, true).unwrap();
            let exact = Matcher::Regex(Arc::new(
                regex::bytes::RegexBuilder::new(&if re { p.to_string() } else { regex::escape(p) })
                    .multi_line(true)
                    .case_insensitive(true)
                    .build()
                    .unwrap(),
            ));
            for block in 0..200 {
                let mut hay = Vec::new();
                for _ in 0..next() % 60 {
                    let i = next() % pieces.len();
                    if block % 4 != 0 && (i == 3 || i == 4) {
                        continue;
                    }
                    hay.extend_from_slice(pieces[i]);
                }
                assert_eq!(
                    lines(&m, &hay),
                    lines(&exact, &hay),
                    "{p} on {:?}",
                    String::from_utf8_lossy(&hay)
                );
            }
        }
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(Matcher::new("(", true, false).is_err());
        assert!(Matcher::new("a\nb", false, false).is_err());
        assert!(Matcher::new("(", false, false).is_ok());
    }
}
