//! Names of sealed (complete) log files: `{stem}_{YYYY-MM-DD_HH-MM-SS}[_{n}]{ext}` in UTC,
//! where `stem` and `ext` are the active file's `Path::file_stem` and `.`+`Path::extension`
//! (`ext` is empty when the active name has none). This file is the one definition of the
//! format: the binding exports `parse` and `is_sealed_sibling` to the TypeScript layer.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The parts of a sealed file's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedName {
    /// The active file's stem (`payment` for `payment.log`).
    pub stem: String,
    /// `YYYY-MM-DD_HH-MM-SS` (UTC).
    pub stamp: String,
    /// The seal time the stamp stands for, seconds since the Unix epoch.
    pub secs: u64,
    /// The `_n` suffix of files sealed within the same second (0 when there is none).
    pub seq: u32,
    /// The active file's extension with its dot, or "" when it has none.
    pub ext: String,
}

/// `file_stem` and `.extension` of `path`: the two parts a sealed name keeps.
fn stem_and_ext(path: &Path) -> (String, String) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (stem, ext)
}

/// The parts of the `n`-th candidate sealed name for the active file `path` at time `now`
/// (`n` = 0 has no suffix).
pub fn sealed_name(path: &Path, now: SystemTime, n: u32) -> SealedName {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (stem, ext) = stem_and_ext(path);
    SealedName {
        stem,
        stamp: utc_stamp(secs),
        secs,
        seq: n,
        ext,
    }
}

/// The `n`-th candidate sealed path for `path` at time `now` (`n` = 0 has no suffix).
pub fn sealed_path(path: &Path, now: SystemTime, n: u32) -> PathBuf {
    path.with_file_name(sealed_name(path, now, n).file_name())
}

impl SealedName {
    /// `{stem}_{stamp}[_{seq}]{ext}`.
    pub fn file_name(&self) -> String {
        let (stem, stamp, ext) = (&self.stem, &self.stamp, &self.ext);
        match self.seq {
            0 => format!("{stem}_{stamp}{ext}"),
            n => format!("{stem}_{stamp}_{n}{ext}"),
        }
    }
}

/// The parts of the file name of `path` if it is a name [`sealed_path`] can produce, else
/// `None`. The stamp must be a real UTC time in its canonical form and `n` (when present) a
/// number from 1 without leading zeros, as the engine writes them.
pub fn parse(path: &Path) -> Option<SealedName> {
    let name = Path::new(path.file_name()?);
    let (body, ext) = stem_and_ext(name);
    // `_n`: digits after the last '_', only when what precedes it ends with a stamp.
    let (body, seq) = match body.rsplit_once('_') {
        Some((b, n))
            if !n.is_empty()
                && n.bytes().all(|c| c.is_ascii_digit())
                && !n.starts_with('0')
                && has_stamp_suffix(b) =>
        {
            (b, n.parse::<u32>().ok()?)
        }
        _ => (body.as_str(), 0),
    };
    if !has_stamp_suffix(body) {
        return None;
    }
    let (stem, stamp) = body.split_at(body.len() - STAMP_LEN);
    let stem = stem.strip_suffix('_')?;
    if stem.is_empty() {
        return None;
    }
    let secs = stamp_secs(stamp)?;
    Some(SealedName {
        stem: stem.to_string(),
        stamp: stamp.to_string(),
        secs,
        seq,
        ext,
    })
}

/// True when `name` is a sealed file of the active file `active` (same stem and extension).
pub fn is_sealed_sibling(name: &Path, active: &Path) -> bool {
    let (stem, ext) = stem_and_ext(active);
    parse(name).is_some_and(|s| s.stem == stem && s.ext == ext)
}

/// Length of `YYYY-MM-DD_HH-MM-SS`.
const STAMP_LEN: usize = 19;

/// True when `s` ends with `_` + something shaped like a stamp (digits and separators).
fn has_stamp_suffix(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < STAMP_LEN + 2 || b[b.len() - STAMP_LEN - 1] != b'_' {
        return false;
    }
    b[b.len() - STAMP_LEN..]
        .iter()
        .zip(b"dddd-dd-dd_dd-dd-dd")
        .all(|(c, p)| {
            if *p == b'd' {
                c.is_ascii_digit()
            } else {
                c == p
            }
        })
}

/// Seconds since the epoch of a stamp, when it is the canonical stamp of a time.
fn stamp_secs(stamp: &str) -> Option<u64> {
    let n = |r: std::ops::Range<usize>| stamp.get(r)?.parse::<u64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, s) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if y < 1970 || !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59
    {
        return None;
    }
    let days = days_from_civil(y as i64, mo as u32, d as u32);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + mi * 60 + s;
    // Round trip: rejects days that do not exist (2026-02-30).
    (utc_stamp(secs) == stamp).then_some(secs)
}

/// `YYYY-MM-DD_HH-MM-SS` for seconds since the Unix epoch (UTC).
pub fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}_{:02}-{:02}-{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day count since 1970-01-01 of a Gregorian date (the inverse of `civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stamps() {
        assert_eq!(utc_stamp(0), "1970-01-01_00-00-00");
        assert_eq!(utc_stamp(1_767_380_102), "2026-01-02_18-55-02");
        assert_eq!(utc_stamp(951_782_400), "2000-02-29_00-00-00");
    }

    #[test]
    fn names() {
        let t = UNIX_EPOCH + Duration::from_secs(1_767_380_102);
        assert_eq!(
            sealed_path(Path::new("/var/logs/payment.log"), t, 0),
            PathBuf::from("/var/logs/payment_2026-01-02_18-55-02.log")
        );
        assert_eq!(
            sealed_path(Path::new("/var/logs/payment.log"), t, 3),
            PathBuf::from("/var/logs/payment_2026-01-02_18-55-02_3.log")
        );
    }

    fn parsed(name: &str) -> Option<(String, String, u32, String)> {
        parse(Path::new(name)).map(|s| (s.stem, s.stamp, s.seq, s.ext))
    }

    #[test]
    fn parse_round_trips_every_shape_the_engine_writes() {
        let t = UNIX_EPOCH + Duration::from_secs(1_767_380_102);
        for active in [
            "payment.log",
            "/var/logs/app.v2.log",
            "plain",
            ".hidden",
            ".hidden.log",
            "x.my_log",
            "trailing.",
            "a..",
            "a_2026-01-02_18-55-02.log",
            "with space.log",
        ] {
            let a = Path::new(active);
            for n in [0, 1, 7, 12] {
                let sealed = sealed_path(a, t, n);
                let p = parse(&sealed).unwrap_or_else(|| panic!("{sealed:?} did not parse"));
                let (stem, ext) = stem_and_ext(a);
                assert_eq!((p.stem, p.ext, p.seq), (stem, ext, n), "{sealed:?}");
                assert_eq!(p.stamp, "2026-01-02_18-55-02");
                assert_eq!(p.secs, 1_767_380_102);
                assert!(is_sealed_sibling(&sealed, a), "{sealed:?} of {active}");
            }
        }
    }

    #[test]
    fn parse_rejects_names_the_engine_never_writes() {
        for name in [
            "payment.log",
            "payment_2026-01-02.log",
            "payment_2026-01-02_18-55.log",
            "_2026-01-02_18-55-02.log",
            "payment_2026-13-02_18-55-02.log",
            "payment_2026-02-30_18-55-02.log",
            "payment_2026-01-02_24-00-00.log",
            "payment_2026-01-02_18-55-02_0.log",
            "payment_2026-01-02_18-55-02_03.log",
            "payment_2026-01-02_18-55-02_.log",
            "payment_2026-01-02_18-55-02_x.log",
            "payment_2026-01-02_18-55-02.tar.gz",
            "payment-2026-01-02_18-55-02.log",
            "payment_2026-1-02_18-55-02.log",
            "payment_2026-01-02_18-55-02.log.tmp",
        ] {
            assert_eq!(parsed(name), None, "{name}");
        }
    }

    #[test]
    fn parse_edge_cases() {
        let s = |stem: &str, seq: u32, ext: &str| {
            Some((stem.into(), "2026-01-02_18-55-02".into(), seq, ext.into()))
        };
        assert_eq!(parsed("a.b_2026-01-02_18-55-02.c"), s("a.b", 0, ".c"));
        assert_eq!(parsed("a_2026-01-02_18-55-02_3"), s("a", 3, ""));
        assert_eq!(parsed(".h_2026-01-02_18-55-02"), s(".h", 0, ""));
        assert_eq!(parsed("x_2026-01-02_18-55-02.my_log"), s("x", 0, ".my_log"));
        // A stem that is itself a sealed name: the last stamp is the seal.
        assert_eq!(
            parsed("a_2026-01-01_00-00-00_2026-01-02_18-55-02_2.log"),
            s("a_2026-01-01_00-00-00", 2, ".log")
        );
        // Only the part before the last dot can carry the seal stamp (`a.b_…c.d` sealed).
        assert_eq!(
            parsed("a.b_2026-01-01_00-00-00.c_2026-01-02_18-55-02.d"),
            s("a.b_2026-01-01_00-00-00.c", 0, ".d")
        );
        assert_eq!(
            parsed("x_2026-01-02_18-55-02.y_2026-01-01_00-00-00"),
            s("x", 0, ".y_2026-01-01_00-00-00")
        );
        assert!(!is_sealed_sibling(
            Path::new("a_2026-01-02_18-55-02.log"),
            Path::new("a.txt")
        ));
        assert!(!is_sealed_sibling(
            Path::new("ab_2026-01-02_18-55-02.log"),
            Path::new("b.log")
        ));
    }

    #[test]
    fn days_from_civil_inverts_civil_from_days() {
        for z in [0i64, 1, 59, 60, 365, 10_957, 11_016, 20_455, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }
}
