//! Block devices by number: names for io.stat lines, and whole-disk vs partition.

use crate::cgroup::parse::DeviceId;
use std::fs;
use std::path::PathBuf;

fn sysfs_dir(id: DeviceId) -> PathBuf {
    PathBuf::from(format!("/sys/dev/block/{}:{}", id.major, id.minor))
}

/// The kernel's name for a block device (`vda`, `nvme0n1p2`), from its uevent file.
pub fn block_device_name(id: DeviceId) -> Option<String> {
    let uevent = fs::read_to_string(sysfs_dir(id).join("uevent")).ok()?;
    uevent
        .lines()
        .find_map(|l| l.strip_prefix("DEVNAME="))
        .map(str::to_string)
}

/// Whether the device is a partition (the kernel refuses io.max for those with ENODEV).
/// `None` when no such block device exists.
pub fn is_partition(id: DeviceId) -> Option<bool> {
    let dir = sysfs_dir(id);
    if !dir.exists() {
        return None;
    }
    Some(dir.join("partition").exists())
}
