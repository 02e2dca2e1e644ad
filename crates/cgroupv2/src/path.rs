//! `CgroupPath`: a cgroup's location relative to the cgroup2 mount.

use crate::escape;
use serde::Serialize;
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// A cgroup's path relative to the root of the cgroup2 mount: empty for the root cgroup,
/// `user.slice/user-1000.slice` below it. Names may be any bytes but `/` and NUL, so this
/// holds a `Path`, never a `str`; show it with `Display`, which escapes controls. Shared
/// (`Arc`): the model, the sampler and the open-file cache each hold every cgroup's path, and
/// a clone costs no copy.
#[derive(Debug, Clone)]
pub struct CgroupPath(Arc<Path>);

// Every constructor builds a path of plain names (no `.`, no repeated or trailing `/`), so
// equal bytes are equal components: compared, hashed and ordered on the bytes, without
// `Path`'s walk over components (maps keyed by the paths of thousands of cgroups are looked up
// several times a cgroup at every pass).
impl PartialEq for CgroupPath {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for CgroupPath {}

impl std::hash::Hash for CgroupPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

/// Parents before children, and a subtree one contiguous range (`Path`'s component order):
/// the bytes compared with `/` below every other byte (a name holds no NUL), which for paths of
/// plain names is the same order.
impl Ord for CgroupPath {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let key = |b: &u8| if *b == b'/' { 0 } else { *b };
        self.as_bytes()
            .iter()
            .map(key)
            .cmp(other.as_bytes().iter().map(key))
    }
}

impl PartialOrd for CgroupPath {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Default for CgroupPath {
    fn default() -> Self {
        CgroupPath::root()
    }
}

impl CgroupPath {
    pub fn root() -> Self {
        CgroupPath(Arc::from(Path::new("")))
    }

    /// Build from a relative path of plain names; `None` if it holds `..`, `.` or a root.
    pub fn from_relative(path: &Path) -> Option<Self> {
        let mut out = PathBuf::new();
        for component in path.components() {
            match component {
                Component::Normal(name) => out.push(name),
                Component::RootDir | Component::CurDir => continue,
                Component::ParentDir | Component::Prefix(_) => return None,
            }
        }
        Some(CgroupPath(Arc::from(out)))
    }

    pub fn is_root(&self) -> bool {
        self.0.as_os_str().is_empty()
    }

    pub fn as_path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &OsStr) -> Self {
        CgroupPath(Arc::from(self.0.join(name)))
    }

    /// The length in bytes of `self.join(name)`, without building it.
    pub fn joined_len(&self, name: &OsStr) -> usize {
        let separator = usize::from(!self.is_root());
        self.as_bytes().len() + separator + name.len()
    }

    pub fn parent(&self) -> Option<CgroupPath> {
        if self.is_root() {
            None
        } else {
            Some(CgroupPath(Arc::from(
                self.0.parent().unwrap_or_else(|| Path::new("")),
            )))
        }
    }

    /// The parent's path as bytes, without building it (to search a map keyed by paths'
    /// bytes); `None` for the root.
    pub fn parent_bytes(&self) -> Option<&[u8]> {
        let bytes = self.as_bytes();
        if bytes.is_empty() {
            return None;
        }
        Some(match bytes.iter().rposition(|b| *b == b'/') {
            Some(slash) => &bytes[..slash],
            None => &[],
        })
    }

    /// The last component; empty for the root.
    pub fn name(&self) -> &OsStr {
        self.0.file_name().unwrap_or_default()
    }

    pub fn depth(&self) -> usize {
        self.0.components().count()
    }

    /// True if `self` is `other` or lies below it. On the bytes (paths are built from plain
    /// names, so that is the components' answer), not `Path::starts_with`'s component walk:
    /// it runs for every cgroup of a tree at every pass.
    pub fn starts_with(&self, other: &CgroupPath) -> bool {
        let (this, prefix) = (self.as_bytes(), other.as_bytes());
        this.starts_with(prefix)
            && (prefix.is_empty() || this.len() == prefix.len() || this[prefix.len()] == b'/')
    }

    /// Every ancestor, nearest first, ending with the root. Excludes `self`.
    pub fn ancestors(&self) -> impl Iterator<Item = CgroupPath> + '_ {
        self.0.ancestors().skip(1).map(|p| CgroupPath(Arc::from(p)))
    }

    /// `/a/b/FILE` for display (`/FILE` at the root, not `//FILE`).
    /// `cgroup/file` as shown: both escaped (a file name may be a person's typing).
    pub fn file_display(&self, file: &str) -> String {
        let file = escape::visible_str(file);
        if self.is_root() {
            format!("/{file}")
        } else {
            format!("{self}/{file}")
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_os_str().as_bytes()
    }
}

impl fmt::Display for CgroupPath {
    /// `/user.slice/...`, with control characters and invalid UTF-8 escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("/")?;
        f.write_str(&escape::visible(self.as_bytes()))
    }
}

impl Serialize for CgroupPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_refuse_parent_components() {
        assert!(CgroupPath::from_relative(Path::new("a/../b")).is_none());
        let p = CgroupPath::from_relative(Path::new("/user.slice/./x.scope")).unwrap();
        assert_eq!(p.to_string(), "/user.slice/x.scope");
        assert_eq!(p.depth(), 2);
        for name in ["c", "long.scope"] {
            let name = OsStr::new(name);
            assert_eq!(p.joined_len(name), p.join(name).as_bytes().len());
            let top = CgroupPath::root();
            assert_eq!(top.joined_len(name), top.join(name).as_bytes().len());
        }
        assert_eq!(p.name(), "x.scope");
        assert_eq!(p.parent().unwrap().to_string(), "/user.slice");
        assert_eq!(CgroupPath::root().to_string(), "/");
        assert!(CgroupPath::root().parent().is_none());
        let ancestors: Vec<String> = p.ancestors().map(|a| a.to_string()).collect();
        assert_eq!(ancestors, ["/user.slice", "/"]);
    }

    #[test]
    fn order_is_the_components_order() {
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        let names = [
            "a", "a/b", "a-b", "a.b/c", "a/b/c", "ab", "b", "a0", "a/ab", "a/a-b",
        ];
        for x in names {
            for y in names {
                assert_eq!(
                    p(x).cmp(&p(y)),
                    Path::new(x).cmp(Path::new(y)),
                    "{x} against {y}"
                );
            }
            assert_eq!(CgroupPath::root().cmp(&p(x)), std::cmp::Ordering::Less);
        }
    }

    #[test]
    fn parent_bytes_are_the_parents_path() {
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        for path in ["a", "a/b", "a/b/c.scope"] {
            let parent = p(path).parent().unwrap();
            assert_eq!(p(path).parent_bytes(), Some(parent.as_bytes()), "{path}");
        }
        assert_eq!(CgroupPath::root().parent_bytes(), None);
    }

    #[test]
    fn starts_with_is_a_whole_component_prefix() {
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        assert!(p("a/b").starts_with(&p("a")));
        assert!(p("a").starts_with(&p("a")));
        assert!(p("a").starts_with(&CgroupPath::root()));
        assert!(CgroupPath::root().starts_with(&CgroupPath::root()));
        assert!(
            !p("ab").starts_with(&p("a")),
            "a name that only begins like it"
        );
        assert!(!p("a-b/c").starts_with(&p("a")));
        assert!(!p("a").starts_with(&p("a/b")));
        assert!(!CgroupPath::root().starts_with(&p("a")));
    }

    #[test]
    fn display_escapes_hostile_names() {
        let p = CgroupPath::root().join(OsStr::from_bytes(b"evil\x1b]0;pwned\x07"));
        assert_eq!(p.to_string(), "/evil\\e]0;pwned\\x07");
    }
}
