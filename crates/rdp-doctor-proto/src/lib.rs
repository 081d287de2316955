//! Sans-IO codecs for rdp-doctor.
//!
//! Nothing in this crate opens a socket, reads a clock or prints. Every decoder takes a byte slice and
//! answers one of three things: a decoded value (and how many bytes it used), "need more bytes"
//! (`Ok(None)`), or a typed description of what is wrong with the bytes. Malformed input from a peer is
//! evidence for the caller, so errors carry what was expected and what was seen.
//!
//! Wire enums are open: a newtype over the integer with the spec's constants; unknown values are kept and
//! printed in hex, never rejected.

pub mod credssp;
pub mod der;
pub mod dtls;
pub mod gateway_http;
pub mod hex;
pub mod http;
pub mod krb;
pub mod mcs;
pub mod nego;
pub mod ntlm;
pub mod rdpeudp;
pub mod server_pdu;
pub mod sniff;
pub mod spnego;
pub mod tls;
pub mod tls_hello;
pub mod tpkt;
pub mod tsgu;
pub mod websocket;
pub mod x224;
