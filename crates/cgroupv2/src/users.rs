//! Who a uid is, from this machine's password database: the one lookup that [`crate::fs`]
//! (for a real hierarchy), [`crate::process`], [`crate::predict`] and [`crate::workload`] use.
//! A fixture's recorded users are [`crate::Cgroupfs::user_name`]'s business.

use crate::escape::SysText;

/// The user name of `uid`, raw (unprivileged users choose it: show it through
/// [`crate::escape`]); `None` when the user has no passwd entry.
pub fn raw_user_name(uid: u32) -> Option<SysText> {
    uzers::get_user_by_uid(uid).map(|u| SysText::from_os(u.name()))
}

/// The name of a user, escaped for display; the number when the user has no passwd entry.
pub fn user_name(uid: u32) -> String {
    raw_user_name(uid).map_or_else(|| uid.to_string(), |name| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_has_a_name_and_an_unknown_uid_is_its_number() {
        assert_eq!(user_name(0), "root");
        assert_eq!(
            raw_user_name(0).map(|n| n.to_string()).as_deref(),
            Some("root")
        );
        let unknown = 4_000_000_123;
        assert_eq!(raw_user_name(unknown), None);
        assert_eq!(user_name(unknown), unknown.to_string());
    }
}
