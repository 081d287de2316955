//! rdp-doctor's host side: the RDP server's own configuration and logs, as [`HostEvidence`].
//!
//! Three ways in, one snapshot: offline from a mounted Windows system volume or single hive files
//! ([`offline`]), from exported event logs ([`events`]), and (on Windows) live. Every parser here is pure
//! and bounded and is tested on Linux; the I/O is in [`offline`] (read-only file access) and, on Windows,
//! one thin live module. The rules that judge the evidence live in `rdp-doctor-core` (`rules/host.rs`).

pub mod cells;
pub mod certstore;
pub mod collect;
pub mod events;
pub mod events_xml;
pub mod firewall;
pub mod hive;
#[cfg(windows)]
pub mod live;
pub mod live_tools;
pub mod machinekeys;
pub mod offline;
pub mod registry;
pub mod rights;
pub mod sddl;
pub mod snapshot;

pub use rdp_doctor_core::evidence::host::HostEvidence;
