//! rdp-doctor's client side (`rdp-doctor last`): the Windows Remote Desktop client's own record of its
//! connection attempts (`Microsoft-Windows-TerminalServices-RDPClient/Operational`), grouped by ActivityID
//! and decoded, and the client settings that change the outcome, as core's `ClientEvidence`.
//!
//! The readers are rdp-doctor-host's (evtx with the `evtx` crate, event XML, the `Registry` view over the
//! live registry, Wine's or an in-memory one): this crate adds what is the client's. Everything but
//! [`live`] (Windows only) and the .rdp file search is pure and tested on Linux. The rules that judge the
//! evidence are core's (`rules/client.rs`).

pub mod attempts;
pub mod collect;
#[cfg(windows)]
pub mod live;
pub mod settings;
pub mod source;

pub use rdp_doctor_core::evidence::client::ClientEvidence;
