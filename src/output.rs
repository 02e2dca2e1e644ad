//! The command line's only ways to stdout and stderr. Text that came from the system is escaped
//! where it is composed (`SysText`, `CgroupPath`, `escape::visible`); every line is then passed
//! through [`escape::inert`] on its way out, so a name that reached a message some other way
//! still cannot steer or hide anything on the terminal.
//!
//! JSON follows the same convention: every string value and key is text for a person, in the
//! same escaped form as the text output (`\e`, `\xNN`, `\u{NNNN}`, a doubled backslash), so
//! `jq -r` prints it safely. serde_json alone would escape C0 controls as `\u001b` (which `jq
//! -r` turns back into ESC) and pass C1, bidi and zero-width characters through. Fields that
//! must be lossless carry the raw bytes separately (the journal's byte arrays).

use crate::cgroup::escape::inert;
use serde::Serialize;

/// `println!` through [`inert`] that returns an error instead of panicking: a closed pipe
/// (`cgtui ... | head`) ends the command quietly (see `main`).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = format!($($arg)*);
        writeln!(std::io::stdout().lock(), "{}", $crate::cgroup::escape::inert(&line))?
    }};
}

/// `eprintln!` through [`inert`].
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        let line = format!($($arg)*);
        eprintln!("{}", $crate::cgroup::escape::inert(&line))
    }};
}

/// `value` as one line of JSON whose every string (and key) is [`inert`].
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut value = serde_json::to_value(value)?;
    make_inert(&mut value);
    serde_json::to_string(&value)
}

fn make_inert(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(shown) = inert(s) {
                *s = shown;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(make_inert),
        Value::Object(map) => {
            let hostile_key = map
                .keys()
                .any(|k| matches!(inert(k), std::borrow::Cow::Owned(_)));
            if hostile_key {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(k, v)| (inert(&k).into_owned(), v))
                    .collect();
            }
            map.values_mut().for_each(make_inert);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::escape::{HOSTILE_NAMES, SysText, has_raw_hostile};

    #[test]
    fn json_strings_and_keys_decode_to_inert_text() {
        for name in HOSTILE_NAMES {
            let raw = String::from_utf8_lossy(name).into_owned();
            let doc = serde_json::json!({
                "raw": raw,
                "escaped": SysText::new(*name),
                raw.clone(): [raw.clone(), 1],
            });
            let line = json_line(&doc).unwrap();
            assert!(!has_raw_hostile(line.as_bytes()), "{line}");
            let back: serde_json::Value = serde_json::from_str(&line).unwrap();
            let text = back.to_string();
            let mut strings = vec![];
            collect(&back, &mut strings);
            for s in strings {
                assert!(!has_raw_hostile(s.as_bytes()) || s.contains('\\'), "{text}");
                assert_eq!(inert(&s), s, "{text}");
            }
            // Already-escaped text is not escaped twice.
            assert_eq!(back["escaped"], SysText::new(*name).visible().as_ref());
        }
    }

    fn collect(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    collect(v, out);
                }
            }
            _ => {}
        }
    }
}
