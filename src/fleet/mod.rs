//! Any host's cgroups read back from Prometheus: what `cgtui export` on that host sent it.
//! [`client`] speaks Prometheus' HTTP API.

pub mod client;
