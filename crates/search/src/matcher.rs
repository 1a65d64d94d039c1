//! Which lines match: a literal through memchr's `memmem` (SIMD substring search), or a pattern
//! through the `regex` crate (the engine ripgrep uses, with its own literal prefilters). Both
//! run over a whole block of lines at once, not line by line: a candidate is found in the block,
//! then its line is located. Line semantics are ripgrep's: a line is the bytes between two `\n`
//! (a `\r` before the `\n` belongs to the line), `^`/`$` match at line boundaries, and a match
//! never spans a line break (a regex match that crosses one is re-checked on its first line
//! alone, which is what ripgrep gets by removing `\n` from the pattern).

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
}

/// The regex crate's compiled-size bound (its default is 10 MiB); a pattern above it is refused.
const REGEX_SIZE_LIMIT: usize = 64 * 1024 * 1024;

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
        regex::bytes::RegexBuilder::new(&source)
            .multi_line(true)
            .case_insensitive(ignore_case)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(|r| Matcher::Regex(Arc::new(r)))
            .map_err(|e| PatternError(e.to_string()))
    }

    /// The first matching line in `hay[from..]`, as `(start, end)` with `end` the index of its
    /// `\n` (or `hay.len()` for a last line without one). `from` is a line start; `hay` ends at a
    /// line end (after a `\n`, or at the end of the input).
    pub fn find_line(&self, hay: &[u8], from: usize) -> Option<(usize, usize)> {
        let end = hay.len();
        let mut pos = from;
        while pos < end {
            let (start, stop) = match self {
                Matcher::Literal(f) => {
                    let at = pos + f.find(&hay[pos..])?;
                    (at, at + f.needle().len())
                }
                Matcher::Regex(re) => {
                    let m = re.find_at(hay, pos)?;
                    (m.start(), m.end())
                }
            };
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
            if let Matcher::Regex(re) = self {
                if re.is_match(&hay[line_start..line_end]) {
                    return Some((line_start, line_end));
                }
            }
            pos = line_end + 1;
        }
        None
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
    fn bad_patterns_are_refused() {
        assert!(Matcher::new("(", true, false).is_err());
        assert!(Matcher::new("a\nb", false, false).is_err());
        assert!(Matcher::new("(", false, false).is_ok());
    }
}
