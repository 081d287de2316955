//! From a captured frame to IP and transport headers: link layers (Ethernet with VLAN tags, Linux cooked
//! SLL and SLL2, raw IPv4/IPv6, BSD null/loopback) and IPv4/IPv6 with `etherparse`; TCP, UDP and ICMP
//! headers read here. Truncated frames (snap length) keep the real payload length from the IP header.

use std::net::IpAddr;

use etherparse::{EtherType, LaxIpv4Slice, LaxIpv6Slice, LaxNetSlice, LaxSlicedPacket, TcpOptionElement, TcpSlice};

/// LINKTYPE_* values (tcpdump.org/linktypes.html).
pub mod linktype {
    pub const NULL: i32 = 0;
    pub const ETHERNET: i32 = 1;
    pub const RAW_OPENBSD: i32 = 12;
    pub const RAW_BSDOS: i32 = 14;
    pub const RAW: i32 = 101;
    pub const LOOP: i32 = 108;
    pub const LINUX_SLL: i32 = 113;
    pub const IPV4: i32 = 228;
    pub const IPV6: i32 = 229;
    pub const LINUX_SLL2: i32 = 276;

    /// The name of a link type.
    pub fn name(lt: i32) -> String {
        match lt {
            NULL => "NULL (BSD loopback)".to_owned(),
            ETHERNET => "ETHERNET".to_owned(),
            RAW | RAW_OPENBSD | RAW_BSDOS => "RAW (IP)".to_owned(),
            LOOP => "LOOP (OpenBSD loopback)".to_owned(),
            LINUX_SLL => "LINUX_SLL (cooked v1)".to_owned(),
            LINUX_SLL2 => "LINUX_SLL2 (cooked v2)".to_owned(),
            IPV4 => "IPV4".to_owned(),
            IPV6 => "IPV6".to_owned(),
            other => format!("LINKTYPE {other}"),
        }
    }
}

/// IP protocol numbers used here.
pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
pub const PROTO_ICMPV6: u8 = 58;

/// The IP layer of a packet.
#[derive(Debug, Clone)]
pub struct Ip<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 identification (0 for IPv6).
    pub id: u16,
    pub proto: u8,
    /// The IP payload as captured (may be shorter than `payload_len`).
    pub payload: &'a [u8],
    /// The payload length the IP header declares.
    pub payload_len: usize,
    /// IPv4 fragment: offset in bytes and more-fragments flag.
    pub fragment: Option<(u32, bool)>,
    /// The TCP header, when `etherparse` already read it (saves a second parse).
    pub tcp: Option<TcpSlice<'a>>,
}

/// A TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct Tcp<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub syn: bool,
    pub ack_flag: bool,
    pub fin: bool,
    pub rst: bool,
    pub window: u16,
    pub mss: Option<u16>,
    /// Captured payload (may be shorter than `len`).
    pub payload: &'a [u8],
    /// Payload length on the wire.
    pub len: u32,
}

/// A UDP datagram.
#[derive(Debug, Clone, Copy)]
pub struct Udp<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

/// An ICMP error and the packet it is about.
#[derive(Debug, Clone, Copy)]
pub struct Icmp {
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
    pub mtu: Option<u32>,
    /// The quoted packet: source, destination, protocol, source port, destination port.
    pub about: Option<(IpAddr, IpAddr, u8, u16, u16)>,
}

/// Why a frame was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    UnsupportedLink,
    NotIp,
    Malformed,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

fn ether_for_family(family: u32) -> Option<EtherType> {
    match family {
        2 => Some(EtherType::IPV4),
        24 | 28 | 30 => Some(EtherType::IPV6),
        _ => None,
    }
}

/// 802.1Q / 802.1ad / QinQ tag types.
const VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];

/// Ethernet II with up to three VLAN tags: the ether type and what follows.
fn ethernet(data: &[u8]) -> Result<(u16, &[u8]), Skip> {
    let mut et = be16(data, 12).ok_or(Skip::Malformed)?;
    let mut off = 14;
    for _ in 0..3 {
        if !VLAN_TAGS.contains(&et) {
            break;
        }
        et = be16(data, off + 2).ok_or(Skip::Malformed)?;
        off += 4;
    }
    Ok((et, data.get(off..).ok_or(Skip::Malformed)?))
}

/// Link layer → the IP packet. The link headers are read here; IPv4/IPv6 (with options and extension
/// headers) and TCP by `etherparse`'s slices, leniently: a frame cut by the snap length keeps the length
/// its IP header declares.
pub fn decode_ip(linktype: i32, data: &[u8]) -> Result<Ip<'_>, Skip> {
    let (et, l3) = match linktype {
        linktype::ETHERNET => ethernet(data)?,
        linktype::RAW | linktype::RAW_OPENBSD | linktype::RAW_BSDOS | linktype::IPV4 | linktype::IPV6 => {
            match data.first().map(|b| b >> 4) {
                Some(4) => (0x0800, data),
                Some(6) => (0x86dd, data),
                _ => return Err(Skip::NotIp),
            }
        }
        linktype::NULL | linktype::LOOP => {
            let fam = data.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).ok_or(Skip::Malformed)?;
            // NULL is in the capturing host's byte order; LOOP in network order. Accept either.
            let et = ether_for_family(u32::from_le_bytes(fam))
                .or_else(|| ether_for_family(u32::from_be_bytes(fam)))
                .ok_or(Skip::NotIp)?;
            (et.0, data.get(4..).unwrap_or_default())
        }
        // packet type (2) | ARPHRD (2) | addr len (2) | addr (8) | protocol (2)
        linktype::LINUX_SLL => (be16(data, 14).ok_or(Skip::Malformed)?, data.get(16..).unwrap_or_default()),
        // protocol (2) | reserved (2) | ifindex (4) | ARPHRD (2) | packet type (1) | addr len (1) | addr (8)
        linktype::LINUX_SLL2 => (be16(data, 0).ok_or(Skip::Malformed)?, data.get(20..).unwrap_or_default()),
        _ => return Err(Skip::UnsupportedLink),
    };
    match EtherType(et) {
        EtherType::IPV4 => ipv4(l3),
        EtherType::IPV6 => ipv6(l3),
        _ => Err(Skip::NotIp),
    }
}

fn ipv4(b: &[u8]) -> Result<Ip<'_>, Skip> {
    let (v4, _) = LaxIpv4Slice::from_slice(b).map_err(|_| Skip::Malformed)?;
    let h = v4.header();
    let p = v4.payload();
    let declared = usize::from(h.total_len()).saturating_sub(usize::from(h.ihl()) * 4);
    let off = u32::from(h.fragments_offset().value()) * 8;
    let fragment = (off != 0 || h.more_fragments()).then_some((off, h.more_fragments()));
    let proto = p.ip_number.0;
    Ok(Ip {
        src: IpAddr::V4(h.source_addr()),
        dst: IpAddr::V4(h.destination_addr()),
        id: h.identification(),
        proto,
        payload: p.payload,
        payload_len: declared.max(p.payload.len()),
        fragment,
        tcp: if fragment.is_none() && proto == PROTO_TCP { TcpSlice::from_slice(p.payload).ok() } else { None },
    })
}

fn ipv6(b: &[u8]) -> Result<Ip<'_>, Skip> {
    let (v6, _) = LaxIpv6Slice::from_slice(b).map_err(|_| Skip::Malformed)?;
    let h = v6.header();
    let p = v6.payload();
    if p.fragmented {
        return Err(Skip::Malformed);
    }
    let ext_len = v6.extensions().slice().len();
    let declared = usize::from(h.payload_length()).saturating_sub(ext_len);
    let proto = p.ip_number.0;
    Ok(Ip {
        src: IpAddr::V6(h.source_addr()),
        dst: IpAddr::V6(h.destination_addr()),
        id: 0,
        proto,
        payload: p.payload,
        payload_len: declared.max(p.payload.len()),
        fragment: None,
        tcp: if proto == PROTO_TCP { TcpSlice::from_slice(p.payload).ok() } else { None },
    })
}

/// The TCP header at the start of an IP payload of `payload_len` bytes on the wire.
pub fn decode_tcp(buf: &[u8], payload_len: usize) -> Option<Tcp<'_>> {
    TcpSlice::from_slice(buf).ok().map(|t| tcp_from(&t, payload_len))
}

/// A TCP segment from `etherparse`'s slice; `payload_len` is the IP payload length on the wire.
pub fn tcp_from<'a>(t: &TcpSlice<'a>, payload_len: usize) -> Tcp<'a> {
    let mut mss = None;
    if t.syn() {
        for o in t.options_iterator().flatten() {
            if let TcpOptionElement::MaximumSegmentSize(m) = o {
                mss = Some(m);
            }
        }
    }
    let hlen = usize::from(t.data_offset()) * 4;
    Tcp {
        src_port: t.source_port(),
        dst_port: t.destination_port(),
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        syn: t.syn(),
        ack_flag: t.ack(),
        fin: t.fin(),
        rst: t.rst(),
        window: t.window_size(),
        mss,
        payload: t.payload(),
        len: u32::try_from(payload_len.saturating_sub(hlen)).unwrap_or(u32::MAX),
    }
}

/// The UDP header at the start of an IP payload.
pub fn decode_udp(buf: &[u8]) -> Option<Udp<'_>> {
    let len = usize::from(be16(buf, 4)?);
    let end = if len >= 8 { len.min(buf.len()) } else { buf.len() };
    Some(Udp { src_port: be16(buf, 0)?, dst_port: be16(buf, 2)?, payload: buf.get(8..end).unwrap_or_default() })
}

/// An ICMPv4 / ICMPv6 error message (destination unreachable, packet too big, time exceeded) and the
/// flow of the packet it quotes. Other ICMP messages give `None`.
pub fn decode_icmp(buf: &[u8], v6: bool) -> Option<Icmp> {
    let (t, code) = (*buf.first()?, *buf.get(1)?);
    be32(buf, 4)?;
    let is_error = if v6 { matches!(t, 1..=3) } else { matches!(t, 3 | 11) };
    if !is_error {
        return None;
    }
    let mtu = if v6 && t == 2 {
        be32(buf, 4)
    } else if !v6 && t == 3 && code == 4 {
        be16(buf, 6).map(u32::from)
    } else {
        None
    };
    let quoted = buf.get(8..).unwrap_or_default();
    let about = LaxSlicedPacket::from_ip(quoted).ok().and_then(|p| {
        let (src, dst, proto, payload) = match p.net? {
            LaxNetSlice::Ipv4(v4) => {
                let h = v4.header();
                (
                    IpAddr::V4(h.source_addr()),
                    IpAddr::V4(h.destination_addr()),
                    v4.payload().ip_number.0,
                    v4.payload().payload,
                )
            }
            LaxNetSlice::Ipv6(v6) => {
                let h = v6.header();
                (
                    IpAddr::V6(h.source_addr()),
                    IpAddr::V6(h.destination_addr()),
                    v6.payload().ip_number.0,
                    v6.payload().payload,
                )
            }
            LaxNetSlice::Arp(_) => return None,
        };
        Some((src, dst, proto, be16(payload, 0)?, be16(payload, 2)?))
    });
    Some(Icmp { v6, icmp_type: t, code, mtu, about })
}

/// ICMP type/code in words.
pub fn icmp_text(i: &Icmp) -> String {
    let what = match (i.v6, i.icmp_type, i.code) {
        (false, 3, 0) => "network unreachable".to_owned(),
        (false, 3, 1) => "host unreachable".to_owned(),
        (false, 3, 2) => "protocol unreachable".to_owned(),
        (false, 3, 3) => "port unreachable".to_owned(),
        (false, 3, 4) => format!("fragmentation needed, next-hop MTU {}", i.mtu.unwrap_or(0)),
        (false, 3, 9 | 10 | 13) => "communication administratively prohibited".to_owned(),
        (false, 3, c) => format!("destination unreachable (code {c})"),
        (false, 11, _) => "time exceeded (TTL)".to_owned(),
        (true, 1, 1) => "communication administratively prohibited".to_owned(),
        (true, 1, 3) => "address unreachable".to_owned(),
        (true, 1, 4) => "port unreachable".to_owned(),
        (true, 1, c) => format!("destination unreachable (code {c})"),
        (true, 2, _) => format!("packet too big, MTU {}", i.mtu.unwrap_or(0)),
        (true, 3, _) => "time exceeded (hop limit)".to_owned(),
        (_, t, c) => format!("type {t} code {c}"),
    };
    format!("ICMP{} {what} ({}/{})", if i.v6 { "v6" } else { "" }, i.icmp_type, i.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet | 802.1Q VLAN 5 | IPv4 (20) | TCP (20) SYN with MSS 1460 | no payload
    fn vlan_syn() -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
        // IPv4: v4 ihl5, tos, total 44, id 0x1234, flags DF, ttl 64, proto 6, csum, src, dst
        f.extend_from_slice(&[0x45, 0, 0, 44, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        // TCP: sport 50000 dport 3389 seq 1 ack 0 doff 6 SYN win 8192 csum urg, MSS option 1460
        f.extend_from_slice(&[0xc3, 0x50, 0x0d, 0x3d, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0x20, 0, 0, 0, 0, 0]);
        f.extend_from_slice(&[2, 4, 0x05, 0xb4]);
        f
    }

    #[test]
    fn ethernet_vlan_tcp() {
        let f = vlan_syn();
        let ip = decode_ip(linktype::ETHERNET, &f).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(ip.proto, PROTO_TCP);
        assert_eq!(ip.id, 0x1234);
        let t = decode_tcp(ip.payload, ip.payload_len).unwrap_or_else(|| unreachable!());
        assert_eq!((t.src_port, t.dst_port, t.syn, t.mss, t.len), (50000, 3389, true, Some(1460), 0));
    }

    #[test]
    fn null_both_byte_orders_and_sll() {
        let ip = vlan_syn()[18..].to_vec();
        for fam in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            let mut f = fam.to_vec();
            f.extend_from_slice(&ip);
            assert!(decode_ip(linktype::NULL, &f).is_ok());
        }
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        assert!(decode_ip(linktype::LINUX_SLL, &sll).is_ok());
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        assert!(decode_ip(linktype::LINUX_SLL2, &sll2).is_ok());
        assert_eq!(decode_ip(147, &ip).err(), Some(Skip::UnsupportedLink));
    }

    #[test]
    fn truncated_frame_keeps_declared_length() {
        let mut f = vlan_syn();
        // make it a 100-byte payload segment captured with 10 bytes only
        f[18 + 3] = 144; // total length 144
        f[18 + 20 + 13] = 0x18; // PSH|ACK
        f.extend_from_slice(&[0xaa; 10]);
        let ip = decode_ip(linktype::ETHERNET, &f).unwrap_or_else(|e| unreachable!("{e:?}"));
        let t = decode_tcp(ip.payload, ip.payload_len).unwrap_or_else(|| unreachable!());
        assert_eq!(t.len, 100);
        assert_eq!(t.payload.len(), 10);
    }

    #[test]
    fn icmp_frag_needed_quotes_the_flow() {
        let ip = vlan_syn()[18..].to_vec();
        // type 3 code 4, csum, unused, MTU 1400, then the quoted IP header + 8 bytes
        let mut m = vec![3, 4, 0, 0, 0, 0, 0x05, 0x78];
        m.extend_from_slice(&ip[..28]);
        let i = decode_icmp(&m, false).unwrap_or_else(|| unreachable!());
        assert_eq!(i.mtu, Some(1400));
        assert_eq!(i.about.map(|a| (a.2, a.3, a.4)), Some((PROTO_TCP, 50000, 3389)));
        assert!(icmp_text(&i).contains("fragmentation needed"));
        assert!(decode_icmp(&[8, 0, 0, 0, 0, 0, 0, 0], false).is_none(), "echo request is not an error");
    }
}
