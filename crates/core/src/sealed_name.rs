//! Names of sealed (complete) log files: `{stem}_{YYYY-MM-DD_HH-MM-SS}[_{n}].{ext}` in UTC.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The `n`-th candidate sealed name for `path` at time `now` (`n` = 0 has no suffix).
pub fn sealed_path(path: &Path, now: SystemTime, n: u32) -> PathBuf {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let suffix = if n == 0 {
        String::new()
    } else {
        format!("_{n}")
    };
    let name = format!("{stem}_{}{suffix}{ext}", utc_stamp(secs));
    path.with_file_name(name)
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
}
