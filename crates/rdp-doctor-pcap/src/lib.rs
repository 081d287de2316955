//! rdp-doctor's capture reader: `rdp-doctor capture FILE` gives the same verdicts from a pcap/pcapng file
//! as the live `check` gives from the network.
//!
//! One interpretation, two drivers: the bytes of each connection are read by the same `rdp-doctor-proto`
//! decoders the live probe uses (X.224, RDP_NEG_*, TLS records, alerts and handshake, MCS, RDP-UDP,
//! RD Gateway HTTP heads), turned into the same `rdp_doctor_core::Evidence`, judged by the same rules
//! (plus capture rules) and built into the same `Report`, one per connection, wrapped in a
//! [`CaptureReport`](rdp_doctor_core::capture_report::CaptureReport).
//!
//! ```text
//! file ─▶ reader (pcap-parser, streaming) ─▶ link/IP (etherparse) ─▶ IPv4 defrag ─▶ flows
//!      ─▶ TCP reassembly + loss accounting ─▶ dissector (proto codecs) ─▶ Evidence ─▶ rules ─▶ Report
//! ```
//!
//! Sans-IO below [`analyse`]: it reads from any `Read` and never touches a socket or a clock.

mod analyse;
mod certs;
mod conn;
mod decrypt;
mod decrypt_cbc;
pub mod defrag;
mod dissect;
pub mod error;
mod evidence;
mod hash;
mod http;
pub mod kerberos;
pub mod keylog;
mod legacy;
pub mod link;
mod listing;
mod pipeline;
mod plain;
pub mod reader;
mod tally;
pub mod tcp;
mod tlsdec;
mod tunnel;
mod udp;
mod unexamined;

pub use analyse::{Options, analyse, analyse_file};
pub use error::CaptureError;
