//! Findings about the network path: loss, latency, jitter, segment-size clamping and MTU black holes,
//! and a server whose TLS key is unusable (the reset after the ClientHello).

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    NET_PACKET_LOSS,
    "net.packet_loss",
    Warn,
    "tcp",
    "Packets are lost on the way to the RDP port",
    "Some TCP handshakes failed or needed a retransmitted SYN (a handshake taking about a second, or more, after others took milliseconds), or, in a capture, TCP had to send a noticeable share of a connection's segments again. Each loss during the security handshake (TLS and CredSSP take several round trips) costs a retransmission timeout; enough of them and the client gives up with error 0x904 or 0x204.",
    ["network.vpn_quality", "network.fix_mtu"]
);
def!(
    NET_HIGH_LATENCY,
    "net.high_latency",
    Warn,
    "tcp",
    "High latency to the server",
    "The median TCP handshake time is high. The RDP security handshake needs about 6 to 10 round trips (X.224, TLS, CredSSP, MCS, licensing), so the connection takes seconds before the first picture, and interactive use feels slow.",
    ["network.vpn_quality"]
);
def!(
    NET_JITTER,
    "net.jitter",
    Warn,
    "tcp",
    "The round-trip time varies a lot (jitter)",
    "Handshake times vary widely between samples: a congested or wireless link, or a VPN over a busy line. RDP's UDP transport and adaptive graphics suffer first.",
    ["network.vpn_quality"]
);
def!(
    NET_MSS_CLAMPED,
    "net.mss_clamped",
    Info,
    "tcp",
    "The path clamps the TCP segment size (a tunnel or VPN)",
    "The maximum segment size in use is below what plain Ethernet allows (1460 bytes for IPv4): a VPN, PPPoE or another tunnel lowers it. That is fine as long as it is applied consistently; where it is not, large TLS records stall (an MTU black hole).",
    ["network.fix_mtu"]
);
def!(
    NET_MTU_BLACKHOLE,
    "net.mtu_blackhole",
    Fail,
    "tls",
    "Large packets vanish on the path (MTU black hole)",
    "The small X.224 exchange worked, but the server's TLS flight (its certificate, several KB in full-size segments) never arrived; with a smaller segment size the same handshake completed. A link on the path has a smaller MTU and the ICMP \"fragmentation needed\" messages that would tell the server are blocked. Typical of VPNs and tunnels.",
    ["network.fix_mtu"]
);
def!(
    X224_SLOW_ANSWER,
    "x224.slow_answer",
    Warn,
    "x224",
    "The first RDP answer is far slower than the TCP handshake",
    "TCP handshakes complete quickly but the server takes long to answer the X.224 Connection Request. Either the RDP service is overloaded (many half-open or hung sessions), or a proxy, load balancer or TCP-terminating VPN completes the TCP handshake near this machine while the server sits far behind it, so the real latency only shows above TCP.",
    ["server.check_rdp_service_health", "network.vpn_quality"]
);
def!(
    WEBSOCKET_UNREACHABLE,
    "websocket.unreachable",
    Warn,
    "tcp",
    "The Remote Desktop WebSocket listeners do not accept connections",
    "TCP 3387 (ws) and/or 3392 (wss) refuse or drop connections. Clients that use the WebSocket transport (the web client, Windows App with RDP Shortpath disabled, some Azure Virtual Desktop paths) cannot connect this way; plain RDP on 3389 is unaffected.",
    ["server.firewall_rdp_rules"]
);
def!(
    WEBSOCKET_NO_UPGRADE,
    "websocket.no_upgrade",
    Warn,
    "tcp",
    "A WebSocket listener accepts TCP but does not upgrade",
    "The port answers, but not with \"101 Switching Protocols\" to a WebSocket upgrade request: another service owns the port, or a proxy in front strips the upgrade.",
    ["server.find_port_owner"]
);
def!(
    UDP_OK,
    "udp.ok",
    Info,
    "udp",
    "RDP-UDP answers",
    "An RDP-UDP SYN (MS-RDPEUDP) was answered by a SYN+ACK acknowledging it: the UDP listener is up and full-size (1232-byte) datagrams pass both ways. Whether a session uses UDP is still the server's decision (Initiate Multitransport after logon).",
    ["network.allow_rdp_udp"]
);
def!(
    UDP_NOT_LISTENING,
    "udp.not_listening",
    Info,
    "udp",
    "Nothing listens on RDP-UDP",
    "An RDP-UDP SYN was answered with ICMP port unreachable: the host is reachable but has no RDP-UDP listener (UDP transport disabled, a TCP-only server such as xrdp, or a TCP-only policy). Sessions use TCP only, which works, but is slower on high-latency or lossy links.",
    ["network.allow_rdp_udp", "client.tcp_only"]
);
def!(
    UDP_BLOCKED,
    "udp.blocked",
    Warn,
    "udp",
    "RDP-UDP is silently dropped",
    "RDP-UDP SYNs got no answer (live: also not a smaller one): a firewall drops UDP to the RDP port, or the path is broken for it. If the server offers UDP after logon, the client tries it, waits, and may stall or reconnect; allowing UDP, or forcing TCP, avoids that.",
    ["network.allow_rdp_udp", "client.tcp_only", "server.tcp_only"]
);
def!(
    UDP_SMALL_PATH,
    "udp.small_path",
    Warn,
    "udp",
    "Full-size RDP-UDP datagrams are lost, smaller ones pass",
    "1232-byte RDP-UDP datagrams got no answer but a 1132-byte one did: the path's MTU is below what RDP-UDP assumes (a VPN or tunnel). UDP sessions lose packets; forcing TCP, or fixing the tunnel MTU, helps.",
    ["network.fix_mtu", "client.tcp_only"]
);
def!(
    TLS_SERVER_KEY_UNUSABLE,
    "tls.server_key_unusable",
    Fail,
    "tls",
    "The server resets the connection as soon as TLS starts",
    "The server negotiated TLS in X.224 and then reset or closed the connection on the ClientHello without any TLS answer. The usual cause is a server that cannot use its certificate's private key (the RDP certificate's key in MachineKeys is missing, corrupt or unreadable; common on cloned and Azure VMs); a middlebox that kills TLS is the other.",
    ["server.repair_certificate_key", "cloud.azure_reset_machinekeys"]
);

/// This file's definitions.
pub(super) static DEFS: &[FindingDef] = &[
    NET_PACKET_LOSS,
    NET_HIGH_LATENCY,
    NET_JITTER,
    NET_MSS_CLAMPED,
    NET_MTU_BLACKHOLE,
    X224_SLOW_ANSWER,
    WEBSOCKET_UNREACHABLE,
    WEBSOCKET_NO_UPGRADE,
    UDP_OK,
    UDP_NOT_LISTENING,
    UDP_BLOCKED,
    UDP_SMALL_PATH,
    TLS_SERVER_KEY_UNUSABLE,
];
