//! Format 3's path table: each cgroup path is stored once, as its parent's node and its own
//! name, so a frame grows with the tree, not with the tree times its depth (a chain of 1,460
//! names of 255 bytes made a key frame of 273 MB when every path was written in full).
//!
//! A key frame defines the nodes its series need, numbered from 1 in the order written
//! (node 0 is the hierarchy's root); a delta frame defines only the nodes new since, numbered
//! on. Parents come before their children, so a table cannot loop.

use super::super::codec::{Cursor, DecodeError, put_bytes, put_varint};
use crate::cgroup::CgroupPath;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// No table holds more bytes of paths (every node's full path, as the reader holds them):
/// nodes are a few bytes each on disk, but a long chain makes each path long. 100,000
/// cgroups of 200-byte paths take 20 MB; the writer keeps within it too.
pub const MAX_TABLE_PATH_BYTES: usize = 64 << 20;

/// The reader's side: every node defined since the last key frame, by id.
#[derive(Debug, Default, Clone)]
pub struct Paths {
    nodes: Vec<CgroupPath>,
    path_bytes: usize,
}

impl Paths {
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.path_bytes = 0;
    }

    /// The path of node `id` (0: the root).
    pub fn get(&self, id: u64) -> Result<&CgroupPath, DecodeError> {
        static ROOT: std::sync::OnceLock<CgroupPath> = std::sync::OnceLock::new();
        if id == 0 {
            return Ok(ROOT.get_or_init(CgroupPath::root));
        }
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.nodes.get(i))
            .ok_or_else(|| DecodeError(format!("a series of undefined path node {id}")))
    }

    /// Read a table section (`count`, then `parent name` each) and add its nodes.
    pub fn read(&mut self, c: &mut Cursor) -> Result<(), DecodeError> {
        let n = c.count()?;
        for _ in 0..n {
            let parent = c.varint()?;
            let name = c.bytes()?;
            if name.is_empty()
                || name == b"."
                || name == b".."
                || name.contains(&b'/')
                || name.contains(&0)
            {
                return Err(DecodeError("a path node with an impossible name".into()));
            }
            // Only nodes already defined can be parents: ids grow, so there is no loop.
            let path = self.get(parent)?.join(OsStr::from_bytes(name));
            self.path_bytes = self.path_bytes.saturating_add(path.as_bytes().len());
            if self.path_bytes > MAX_TABLE_PATH_BYTES {
                return Err(DecodeError(format!(
                    "a path table of more than {MAX_TABLE_PATH_BYTES} bytes of paths"
                )));
            }
            self.nodes.push(path);
        }
        Ok(())
    }
}

/// The writer's side: the node of every path defined since the last key frame.
#[derive(Debug, Default, Clone)]
pub struct PathIds {
    ids: HashMap<CgroupPath, u64>,
    /// The bytes of every defined node's full path: what a reader will hold.
    pub path_bytes: usize,
}

/// Nodes defined while one frame is encoded.
#[derive(Default)]
pub struct NewNodes {
    pub count: u64,
    pub bytes: Vec<u8>,
}

impl NewNodes {
    /// The section as written: count, then the nodes.
    pub fn put(&self, out: &mut Vec<u8>) {
        put_varint(out, self.count);
        out.extend_from_slice(&self.bytes);
    }
}

impl PathIds {
    pub fn clear(&mut self) {
        self.ids.clear();
        self.path_bytes = 0;
    }

    /// The node of `path`, defining it (and any ancestor not yet defined) in `new`.
    pub fn node(&mut self, path: &CgroupPath, new: &mut NewNodes) -> u64 {
        // Undefined paths from `path` up, and the node of the nearest defined ancestor.
        let mut undefined = Vec::new();
        let mut at = path.clone();
        let mut parent = loop {
            if at.is_root() {
                break 0;
            }
            if let Some(id) = self.ids.get(&at) {
                break *id;
            }
            let up = at.parent().unwrap_or_default();
            undefined.push(at);
            at = up;
        };
        for path in undefined.into_iter().rev() {
            put_varint(&mut new.bytes, parent);
            put_bytes(&mut new.bytes, path.name().as_bytes());
            new.count += 1;
            self.path_bytes += path.as_bytes().len();
            parent = self.ids.len() as u64 + 1;
            self.ids.insert(path, parent);
        }
        parent
    }
}
