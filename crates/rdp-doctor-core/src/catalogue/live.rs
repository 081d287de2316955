//! Findings of the live layer chain (DNS, TCP, X.224 negotiation, TLS and certificates).

use super::def;
use crate::finding::{FindingDef, Severity};

def!(
    DNS_RESOLUTION_FAILED,
    "dns.resolution_failed",
    Fail,
    "dns",
    "The host name does not resolve",
    "The operating system's resolver, which mstsc and every other client use, returned no address for the name. No connection can start.",
    ["client.check_name", "client.connect_by_ip", "network.fix_dns_record"]
);
def!(
    DNS_DIRECT_QUERY_FAILED,
    "dns.direct_query_failed",
    Info,
    "dns",
    "A direct DNS query found no address, though the OS resolver did",
    "The name resolved through the OS (hosts file, NetBIOS/LLMNR, mDNS or a cached answer) but a query straight to the configured DNS servers did not. Clients that rely on DNS alone, or other machines, may fail.",
    ["client.check_name", "network.fix_dns_record"]
);
def!(
    DNS_RESOLVERS_DISAGREE,
    "dns.resolvers_disagree",
    Warn,
    "dns",
    "The OS resolver and DNS give different addresses",
    "A hosts-file entry, a stale cache or split-horizon DNS makes this machine connect somewhere other than what DNS says. A moved or re-addressed server is the usual cause.",
    ["client.check_name", "network.fix_dns_record"]
);
def!(
    TCP_REFUSED,
    "tcp.refused",
    Fail,
    "tcp",
    "Connection refused (TCP RST)",
    "The host answered the connection attempt with a reset: nothing listens on the port, RDP is disabled, it listens on another port, or a firewall rejects the connection actively.",
    ["server.enable_rdp_listener", "server.xrdp_listener", "server.firewall_rdp_rules", "network.allow_rdp_port"]
);
def!(
    TCP_FILTERED,
    "tcp.filtered",
    Fail,
    "tcp",
    "No answer to the connection attempt (filtered)",
    "The connection attempt got no answer at all before the deadline. A firewall on the path or on the host drops the packets, or the host is down or not at that address. mstsc reports this as error 0x204.",
    [
        "server.firewall_rdp_rules",
        "network.allow_rdp_port",
        "cloud.allow_rdp_nsg",
        "client.firewall_outbound",
        "server.enable_rdp_listener"
    ]
);
def!(
    TCP_UNREACHABLE,
    "tcp.unreachable",
    Fail,
    "tcp",
    "Host or network unreachable",
    "An ICMP unreachable message or a missing route ended the attempt: the path to the server is broken (VPN down, wrong subnet, router without a route) or a firewall rejects with ICMP.",
    ["network.check_route", "network.allow_rdp_port", "client.firewall_outbound"]
);
def!(
    TCP_ERROR,
    "tcp.error",
    Fail,
    "tcp",
    "The connection attempt failed locally",
    "The local network stack refused to make the attempt (no usable source address, resource exhaustion, permission).",
    ["network.check_route"]
);
def!(
    TCP_SOME_ADDRESSES_FAILED,
    "tcp.some_addresses_failed",
    Warn,
    "tcp",
    "Some of the server's addresses do not accept connections",
    "The name has several addresses and at least one fails while another works. Clients that try the failing address first wait for a timeout, or fail if they do not try the next one.",
    ["network.fix_dns_record", "network.allow_rdp_port"]
);
def!(
    X224_CLOSED,
    "x224.closed",
    Fail,
    "x224",
    "The server closed the connection instead of answering the RDP connection request",
    "TCP connected, but the server hung up on the X.224 Connection Request. Typical causes: a connection limit or IP block, the RDP service in a bad state, a load balancer or proxy in front without a healthy backend, or a service that is not RDP. mstsc shows error 0x904 here.",
    [
        "server.check_rdp_service_health",
        "server.connection_limits",
        "server.restart_termservice",
        "server.find_port_owner"
    ]
);
def!(
    X224_NO_RESPONSE,
    "x224.no_response",
    Fail,
    "x224",
    "The server accepted TCP but never answered the RDP connection request",
    "The port accepts connections but sends nothing back: a hung RDP service, a filter that lets the handshake through but drops data, an MTU problem, or a service that waits for the client to speak another protocol first.",
    ["server.check_rdp_service_health", "server.restart_termservice", "server.find_port_owner"]
);
def!(
    X224_NOT_RDP,
    "x224.not_rdp",
    Fail,
    "x224",
    "Something other than RDP answers on this port",
    "The answer to the X.224 Connection Request is not TPKT framing. Another service owns the port, or a port-forward or load balancer points to the wrong backend.",
    ["server.find_port_owner"]
);
def!(
    X224_MALFORMED,
    "x224.malformed",
    Fail,
    "x224",
    "The server's X.224 answer is malformed",
    "The answer is TPKT but not a usable Connection Confirm. A broken RDP implementation or a middlebox that rewrites the stream is likely.",
    ["server.find_port_owner", "server.check_rdp_service_health"]
);
def!(
    X224_ANOMALY,
    "x224.anomaly",
    Info,
    "x224",
    "The Connection Confirm has unusual fields",
    "The server's Connection Confirm decodes, but some fields differ from what MS-RDPBCGR 2.2.1.2 prescribes. Clients usually tolerate it; it hints at a non-Microsoft server or a middlebox.",
    ["server.find_port_owner"]
);
def!(
    X224_LEGACY_CONFIRM,
    "x224.legacy_confirm",
    Warn,
    "x224",
    "The server ignored security negotiation (Standard RDP Security only)",
    "The Connection Confirm has no RDP_NEG_RSP: the server either predates negotiation or ignores it, and will use Standard RDP Security (RC4 without server authentication). Clients that require TLS or NLA cannot connect.",
    ["server.allow_tls_security_layer"]
);
def!(
    NEGO_SSL_REQUIRED_BY_SERVER,
    "nego.ssl_required_by_server",
    Fail,
    "x224",
    "The server requires TLS, which was not offered",
    "RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER: the server only accepts TLS-based security and the client offered Standard RDP Security only.",
    ["client.enable_nla"]
);
def!(
    NEGO_SSL_NOT_ALLOWED_BY_SERVER,
    "nego.ssl_not_allowed_by_server",
    Warn,
    "x224",
    "The server refuses TLS: Standard RDP Security only",
    "RDP_NEG_FAILURE SSL_NOT_ALLOWED_BY_SERVER: the server is set to the RDP security layer only. Connections use RC4 without server authentication; clients that require TLS or NLA fail, and mstsc warns that it cannot verify the server.",
    ["server.allow_tls_security_layer"]
);
def!(
    NEGO_SSL_CERT_NOT_ON_SERVER,
    "nego.ssl_cert_not_on_server",
    Fail,
    "x224",
    "The server has no usable TLS certificate",
    "RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER: TLS is enabled but the server cannot load a certificate (deleted, expired and not renewed, or its private key is unreadable).",
    ["server.repair_certificate_key", "server.renew_rdp_certificate", "cloud.azure_reset_machinekeys"]
);
def!(
    NEGO_INCONSISTENT_FLAGS,
    "nego.inconsistent_flags",
    Fail,
    "x224",
    "The server found the negotiation flags inconsistent",
    "RDP_NEG_FAILURE INCONSISTENT_FLAGS: the server considers the requested protocol combination contradictory, usually a client or proxy bug.",
    ["client.update_client"]
);
def!(
    NEGO_HYBRID_REQUIRED_BY_SERVER,
    "nego.hybrid_required_by_server",
    Fail,
    "x224",
    "The server requires Network Level Authentication (CredSSP)",
    "RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER: the server only accepts CredSSP (NLA) and the client did not offer it.",
    ["client.enable_nla", "client.update_client", "server.security_layer_diagnosis"]
);
def!(
    NEGO_SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER,
    "nego.ssl_with_user_auth_required_by_server",
    Fail,
    "x224",
    "The server requires TLS with user authentication",
    "RDP_NEG_FAILURE SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER: the server requires CredSSP with Early User Authorization (HYBRID_EX) and the client did not offer it.",
    ["client.enable_nla"]
);
def!(
    NEGO_UNKNOWN,
    "nego.unknown",
    Fail,
    "x224",
    "The server refused negotiation with an unknown code",
    "The server sent RDP_NEG_FAILURE with a code MS-RDPBCGR 2.2.1.2.2 does not define.",
    ["server.check_rdp_service_health"]
);
def!(
    NEGO_RDP_SECURITY_SELECTED,
    "nego.rdp_security_selected",
    Warn,
    "x224",
    "The server chose Standard RDP Security over TLS",
    "The server answered RDP_NEG_RSP with PROTOCOL_RDP although TLS and CredSSP were offered: it is configured for the RDP security layer. Traffic is protected by RC4 only and the server is not authenticated; clients that require TLS or NLA fail.",
    ["server.allow_tls_security_layer"]
);
def!(
    NEGO_UNREQUESTED_PROTOCOL,
    "nego.unrequested_protocol",
    Warn,
    "x224",
    "The server selected a protocol the client did not offer",
    "MS-RDPBCGR 3.3.5.3.1 requires the server to pick one of the requested protocols. Clients abort on this answer.",
    ["server.check_rdp_service_health"]
);
def!(
    TLS_ALERT,
    "tls.alert",
    Fail,
    "tls",
    "The server aborted the TLS handshake with an alert",
    "The server sent a TLS alert during the handshake: usually no common protocol version or cipher suite (old servers that speak only TLS 1.0/1.1, or hardened ones), or a certificate whose private key the server cannot use.",
    ["server.enable_tls12", "server.repair_certificate_key"]
);
def!(
    TLS_HANDSHAKE_FAILED,
    "tls.handshake_failed",
    Fail,
    "tls",
    "The TLS handshake failed",
    "The TLS handshake on the RDP connection did not complete: the server closed or reset the connection, stopped answering, or broke the protocol. A reset right after the ClientHello often means the server cannot use its certificate's private key.",
    [
        "server.repair_certificate_key",
        "cloud.azure_reset_machinekeys",
        "server.enable_tls12",
        "server.check_rdp_service_health"
    ]
);
def!(
    CERT_EXPIRED,
    "cert.expired",
    Fail,
    "tls",
    "The server's certificate has expired",
    "The certificate the RDP listener presents is past its notAfter date. mstsc warns or refuses (depending on the authentication level), and policy-enforced or non-interactive clients fail.",
    ["server.renew_rdp_certificate", "server.bind_ca_rdp_certificate", "server.renew_xrdp_certificate"]
);
def!(
    CERT_NOT_YET_VALID,
    "cert.not_yet_valid",
    Fail,
    "tls",
    "The server's certificate is not valid yet",
    "The certificate's notBefore date is in the future: a clock on the server or on this machine is wrong, or a certificate was issued with a wrong date.",
    ["any.fix_clock", "server.renew_rdp_certificate"]
);
def!(
    CERT_EXPIRING_SOON,
    "cert.expiring_soon",
    Warn,
    "tls",
    "The server's certificate expires within 30 days",
    "Renew it before clients start failing.",
    ["server.renew_rdp_certificate", "server.renew_xrdp_certificate"]
);
def!(
    CERT_SELF_SIGNED,
    "cert.self_signed",
    Warn,
    "tls",
    "The server uses a self-signed certificate",
    "Clients cannot verify a self-signed certificate, so every user sees an identity warning and learns to click through it, which is what a man-in-the-middle attack relies on.",
    ["server.bind_ca_rdp_certificate", "client.trust_server_certificate"]
);
def!(
    CERT_UNTRUSTED,
    "cert.untrusted",
    Warn,
    "tls",
    "The certificate chain is not trusted by this machine",
    "The operating system's trust store does not accept the chain (unknown issuer, missing intermediate, revoked or otherwise invalid).",
    ["server.bind_ca_rdp_certificate", "client.trust_server_certificate", "client.proxy_bypass"]
);
def!(
    CERT_NAME_MISMATCH,
    "cert.name_mismatch",
    Warn,
    "tls",
    "The certificate does not carry the name you connect to",
    "The name typed in the client is not in the certificate's subjectAltName (or CN when it has none). mstsc shows an identity warning; strict clients refuse.",
    ["client.use_certificate_name", "server.bind_ca_rdp_certificate"]
);
def!(
    CERT_WEAK_KEY,
    "cert.weak_key",
    Warn,
    "tls",
    "The certificate's key is too small",
    "RSA keys below 2048 bits are refused by current TLS stacks and policies.",
    ["server.renew_rdp_certificate", "server.renew_xrdp_certificate"]
);
def!(
    CERT_WEAK_SIGNATURE,
    "cert.weak_signature",
    Warn,
    "tls",
    "The certificate is signed with a broken hash (MD5 or SHA-1)",
    "Current clients reject SHA-1 and MD5 signatures on non-root certificates.",
    ["server.renew_rdp_certificate", "server.renew_xrdp_certificate"]
);
def!(
    CERT_WRONG_EKU,
    "cert.wrong_eku",
    Warn,
    "tls",
    "The certificate is not meant for server authentication",
    "Its Extended Key Usage has neither Server Authentication (1.3.6.1.5.5.7.3.1) nor Remote Desktop Authentication (1.3.6.1.4.1.311.54.1.2); Windows will not use it for the RDP listener and strict clients refuse it.",
    ["server.bind_ca_rdp_certificate", "server.renew_rdp_certificate"]
);
def!(
    CERT_UNPARSABLE,
    "cert.unparsable",
    Fail,
    "tls",
    "The server's certificate cannot be parsed",
    "The server sent bytes in its Certificate message that are not a valid X.509 certificate.",
    ["server.renew_rdp_certificate"]
);

/// This file's definitions, in layer order.
pub(super) static DEFS: &[FindingDef] = &[
    DNS_RESOLUTION_FAILED,
    DNS_DIRECT_QUERY_FAILED,
    DNS_RESOLVERS_DISAGREE,
    TCP_REFUSED,
    TCP_FILTERED,
    TCP_UNREACHABLE,
    TCP_ERROR,
    TCP_SOME_ADDRESSES_FAILED,
    X224_CLOSED,
    X224_NO_RESPONSE,
    X224_NOT_RDP,
    X224_MALFORMED,
    X224_ANOMALY,
    X224_LEGACY_CONFIRM,
    NEGO_SSL_REQUIRED_BY_SERVER,
    NEGO_SSL_NOT_ALLOWED_BY_SERVER,
    NEGO_SSL_CERT_NOT_ON_SERVER,
    NEGO_INCONSISTENT_FLAGS,
    NEGO_HYBRID_REQUIRED_BY_SERVER,
    NEGO_SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER,
    NEGO_UNKNOWN,
    NEGO_RDP_SECURITY_SELECTED,
    NEGO_UNREQUESTED_PROTOCOL,
    TLS_ALERT,
    TLS_HANDSHAKE_FAILED,
    CERT_EXPIRED,
    CERT_NOT_YET_VALID,
    CERT_EXPIRING_SOON,
    CERT_SELF_SIGNED,
    CERT_UNTRUSTED,
    CERT_NAME_MISMATCH,
    CERT_WEAK_KEY,
    CERT_WEAK_SIGNATURE,
    CERT_WRONG_EKU,
    CERT_UNPARSABLE,
];
