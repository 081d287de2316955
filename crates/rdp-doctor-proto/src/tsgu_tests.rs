//! MS-TSGU packet fixtures, one comment per field, and the truncate-by-one rule for every packet.

use super::*;
use crate::hex::parse_hex;

fn hex(s: &str) -> Vec<u8> {
    parse_hex(s).unwrap_or_else(|| unreachable!("bad fixture {s}"))
}

/// HANDSHAKE_REQUEST as FreeRDP sends it without extended auth (rdg.c rdg_send_handshake).
const HANDSHAKE_REQUEST: &str = concat!(
    "0100",     // packetType HANDSHAKE_REQUEST
    "0000",     // reserved
    "0e000000", // packetLength 14
    "01",       // verMajor 1
    "00",       // verMinor 0
    "0000",     // clientVersion 0
    "0000",     // extendedAuth NONE
);

/// HANDSHAKE_RESPONSE, S_OK, version 1.0, serverVersion 0, no extended auth.
const HANDSHAKE_RESPONSE: &str = concat!(
    "0200", "0000", "12000000", // header: type 2, length 18
    "00000000", // errorCode S_OK
    "01", "00",   // verMajor 1, verMinor 0
    "0000", // serverVersion
    "0000", // extendedAuth
);

/// TUNNEL_CREATE with FreeRDP's caps 0x0D (QUAR_SOH | CONSENT_SIGN | SERVICE_MSG) and no fields.
const TUNNEL_CREATE: &str = concat!(
    "0400", "0000", "10000000", // header: type 4, length 16
    "0d000000", // capsFlags
    "0000",     // fieldsPresent
    "0000",     // reserved
);

/// TUNNEL_RESPONSE as rdpgw sends it: tunnelId 10, caps IDLE_TIMEOUT.
const TUNNEL_RESPONSE: &str = concat!(
    "0500", "0000", "1a000000", // header: type 5, length 26
    "0000",     // serverVersion
    "00000000", // statusCode S_OK
    "0300",     // fieldsPresent TUNNEL_ID | CAPS
    "0000",     // reserved
    "0a000000", // tunnelId 10
    "02000000", // caps IDLE_TIMEOUT
);

/// TUNNEL_AUTH for client name "PC".
const TUNNEL_AUTH: &str = concat!(
    "0600",
    "0000",
    "12000000",     // header: type 6, length 18
    "0000",         // fieldsPresent
    "0600",         // cbClientName 6
    "500043000000", // "PC\0" UTF-16LE
);

/// TUNNEL_AUTH_RESPONSE with redirFlags and an idle time-out of 30 minutes.
const TUNNEL_AUTH_RESPONSE: &str = concat!(
    "0700", "0000", "18000000", // header: type 7, length 24
    "00000000", // errorCode S_OK
    "0300",     // fieldsPresent REDIR_FLAGS | IDLE_TIMEOUT
    "0000",     // reserved
    "00000080", // redirFlags 0x80000000
    "1e000000", // idleTimeout 30
);

/// CHANNEL_CREATE to "h:3389" (one resource, RDP).
const CHANNEL_CREATE: &str = concat!(
    "0800", "0000", "14000000", // header: type 8, length 20
    "01",       // numResources
    "00",       // numAltResources
    "3d0d",     // port 3389
    "0300",     // protocol 3 (RDP)
    "0400",     // cbLen 4
    "68000000", // "h\0"
);

/// CHANNEL_RESPONSE denied by the resource authorization policy, with a channelId and a UDP port.
const CHANNEL_RESPONSE: &str = concat!(
    "0900", "0000", "16000000", // header: type 9, length 22
    "da590780", // errorCode E_PROXY_RAP_ACCESSDENIED 0x800759DA
    "0500",     // fieldsPresent CHANNELID | UDPPORT
    "0000",     // reserved
    "01000000", // channelId 1
    "3f0d",     // udpPort 3391
);

const ALL: [&str; 8] = [
    HANDSHAKE_REQUEST,
    HANDSHAKE_RESPONSE,
    TUNNEL_CREATE,
    TUNNEL_RESPONSE,
    TUNNEL_AUTH,
    TUNNEL_AUTH_RESPONSE,
    CHANNEL_CREATE,
    CHANNEL_RESPONSE,
];

fn one(s: &str) -> Packet {
    let b = hex(s);
    match decode(&b) {
        Ok(Some((p, n))) => {
            assert_eq!(n, b.len());
            p
        }
        other => unreachable!("{s}: {other:?}"),
    }
}

#[test]
fn fixtures_decode_to_their_fields() {
    assert_eq!(one(HANDSHAKE_REQUEST), Packet::HandshakeRequest(HandshakeRequest::default()));
    assert_eq!(
        one(HANDSHAKE_RESPONSE),
        Packet::HandshakeResponse(HandshakeResponse {
            error_code: 0,
            ver_major: 1,
            ver_minor: 0,
            server_version: 0,
            extended_auth: 0
        })
    );
    let Packet::TunnelCreate(tc) = one(TUNNEL_CREATE) else { unreachable!() };
    assert_eq!(tc.caps_flags, caps::QUAR_SOH | caps::MESSAGING_CONSENT_SIGN | caps::MESSAGING_SERVICE_MSG);
    let Packet::TunnelResponse(tr) = one(TUNNEL_RESPONSE) else { unreachable!() };
    assert_eq!((tr.tunnel_id, tr.caps, tr.status_code), (Some(10), Some(caps::IDLE_TIMEOUT), 0));
    let Packet::TunnelAuth(ta) = one(TUNNEL_AUTH) else { unreachable!() };
    assert_eq!(ta.client_name, "PC");
    let Packet::TunnelAuthResponse(tar) = one(TUNNEL_AUTH_RESPONSE) else { unreachable!() };
    assert_eq!((tar.redir_flags, tar.idle_timeout), (Some(0x8000_0000), Some(30)));
    let Packet::ChannelCreate(cc) = one(CHANNEL_CREATE) else { unreachable!() };
    assert_eq!((cc.resources.as_slice(), cc.port, cc.protocol), (&["h".to_owned()][..], 3389, 3));
    let cr = one(CHANNEL_RESPONSE);
    assert_eq!(cr.hresult(), Some(0x8007_59DA));
    assert_eq!(hresult_name(0x8007_59DA), Some("E_PROXY_RAP_ACCESSDENIED"));
    assert_eq!(hresult_name(0x59DA), Some("E_PROXY_RAP_ACCESSDENIED"), "the low-16 form names the same code");
    let Packet::ChannelResponse(cr) = cr else { unreachable!() };
    assert_eq!((cr.channel_id, cr.udp_port, cr.authn_cookie), (Some(1), Some(3391), None));
}

#[test]
fn fixtures_re_encode_byte_for_byte() {
    for s in ALL {
        assert_eq!(one(s).encode(), hex(s), "{s}");
    }
}

#[test]
fn truncate_by_one_needs_more() {
    for s in ALL {
        let b = hex(s);
        for n in 0..b.len() {
            assert_eq!(decode(b.get(..n).unwrap_or_default()), Ok(None), "{s} cut at {n}");
        }
    }
}

#[test]
fn declared_length_shorter_than_fields_is_an_error_naming_the_field() {
    for s in ALL {
        let mut b = hex(s);
        let len = b.len() as u32 - 1;
        b[4..8].copy_from_slice(&len.to_le_bytes());
        b.pop();
        assert!(matches!(decode(&b), Err(TsguError::Short { .. })), "{s}");
    }
}

#[test]
fn bad_lengths_are_errors() {
    assert_eq!(decode(&hex("0d00000007000000")), Err(TsguError::BadLength(7)));
    assert_eq!(decode(&hex("0a000000ffffffff")), Err(TsguError::BadLength(u32::MAX)));
    assert_eq!(decode(&hex("0d00000008000000")), Ok(Some((Packet::Keepalive, 8))));
}

#[test]
fn odd_string_is_an_error() {
    // TUNNEL_AUTH with cbClientName 3.
    let b = hex("060000000f00000000000300410000");
    assert_eq!(decode(&b), Err(TsguError::OddString { field: "clientName", len: 3 }));
}

#[test]
fn two_packets_in_one_buffer_decode_one_at_a_time() {
    let mut b = hex(HANDSHAKE_RESPONSE);
    b.extend(hex(TUNNEL_RESPONSE));
    let Ok(Some((_, n))) = decode(&b) else { unreachable!() };
    assert!(matches!(decode(&b[n..]), Ok(Some((Packet::TunnelResponse(_), _)))));
}
