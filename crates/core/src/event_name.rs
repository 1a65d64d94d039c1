//! Event names become file names: forbidden characters and spaces turn into `_`.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// Longest sanitised event name in bytes. The limit leaves room in the 255-byte file name for
/// `.log` and the sealed suffix `_YYYY-MM-DD_HH-MM-SS_N`.
pub const MAX_EVENT_NAME: usize = 200;

fn is_bad(c: char) -> bool {
    matches!(
        c,
        '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | ' '
    ) || c.is_control()
}

/// Returns the file-safe form of an event name (borrowed when it is already clean).
pub fn sanitize_event_name(name: &str) -> Result<Cow<'_, str>> {
    if name.is_empty() {
        return Err(Error::InvalidEventName("event name cannot be empty".into()));
    }
    let clean = !name.chars().any(is_bad) && name.len() <= MAX_EVENT_NAME;
    let mut s: Cow<'_, str> = if clean {
        Cow::Borrowed(name)
    } else {
        let mut out: String = name
            .chars()
            .map(|c| if is_bad(c) { '_' } else { c })
            .collect();
        if out.len() > MAX_EVENT_NAME {
            let mut cut = MAX_EVENT_NAME;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
        }
        Cow::Owned(out)
    };
    if s == "." || s == ".." {
        s = Cow::Owned(s.replace('.', "_"));
    }
    Ok(s)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn sanitises() {
        assert_eq!(
            sanitize_event_name("payment/order").unwrap(),
            "payment_order"
        );
        assert_eq!(sanitize_event_name("user login").unwrap(), "user_login");
        assert_eq!(sanitize_event_name("event:test").unwrap(), "event_test");
        assert_eq!(
            sanitize_event_name(r#"a\b*c?d"e<f>g|h"#).unwrap(),
            "a_b_c_d_e_f_g_h"
        );
        assert_eq!(sanitize_event_name("..").unwrap(), "__");
        assert_eq!(sanitize_event_name("a\nb\0").unwrap(), "a_b_");
        assert!(matches!(
            sanitize_event_name("payment").unwrap(),
            Cow::Borrowed(_)
        ));
        let err = sanitize_event_name("").unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_EVENT_NAME");
        let long = "é".repeat(300);
        let s = sanitize_event_name(&long).unwrap();
        assert!(s.len() <= MAX_EVENT_NAME && s.chars().all(|c| c == 'é'));
    }
}
