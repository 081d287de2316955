//! `check FILE.rdp`: what to probe, taken from the file, and the findings that need both the file and
//! what the server presented.

use rdp_doctor_core::catalogue::rdpfile as cat;
use rdp_doctor_core::{Finding, Report};

use crate::RdpFile;
use crate::address::parse_address;

/// What `check FILE.rdp` probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckPlan {
    /// The host of `full address`; certificates are matched against it.
    pub host: String,
    pub port: u16,
    /// The file turns CredSSP off: the negotiation offers TLS only, as a client honouring the file does.
    pub credssp_off: bool,
    /// The RD Gateway the file always connects through (`gatewayusagemethod:i:1` + `gatewayhostname`):
    /// probed instead of the direct path.
    pub gateway: Option<String>,
    /// What the file asks for that this check does not do, said plainly.
    pub limitations: Vec<String>,
}

/// The plan for a file, or `None` when it names no usable server (the lint findings say why).
/// `default_port` applies when `full address` has no port.
pub fn plan(file: &RdpFile, default_port: u16) -> Option<CheckPlan> {
    let (_, value) = file.text("full address")?;
    let addr = parse_address(value).ok()?;
    let port = addr.port.unwrap_or(default_port);
    let mut limitations = Vec::new();
    let gateway_name = file.text("gatewayhostname").map(|(_, g)| g.trim().to_owned()).filter(|g| !g.is_empty());
    let mut gateway = None;
    match (file.int("gatewayusagemethod"), gateway_name) {
        (Some(1), Some(gw)) => {
            limitations.push(format!(
                "The file connects through the RD Gateway {gw} (gatewayusagemethod:i:1): the gateway was checked, not the direct connection to {}:{port}, which a client using this file does not make.",
                addr.host
            ));
            gateway = Some(gw);
        }
        (Some(2), Some(gw)) => limitations.push(format!(
            "The file falls back to the RD Gateway {gw} when a direct connection fails (gatewayusagemethod:i:2). The direct connection was checked; check the gateway with rdp-doctor check {} --gateway {gw}.",
            addr.host
        )),
        (Some(3), _) => limitations.push(
            "The file uses the administrator's default RD Gateway settings (gatewayusagemethod:i:3), which this check cannot see; only the direct connection was checked."
                .to_owned(),
        ),
        _ => {}
    }
    if file.text("loadbalanceinfo").is_some() {
        limitations.push(
            "The file carries a routing token (loadbalanceinfo) that a client sends in its X.224 Connection Request to an RD Connection Broker; this check did not send it, so a broker may answer it differently."
                .to_owned(),
        );
    }
    if let Some((_, alt)) = file.text("alternate full address").filter(|(_, a)| *a != value) {
        limitations.push(format!("The file also names alternate full address {alt}; only full address was checked."));
    }
    if let Some(sp) = file.int("server port").filter(|sp| *sp != i64::from(port)) {
        limitations.push(format!(
            "The file also names server port {sp}; FreeRDP 2.11 connects there (observed). This check used port {port} from full address."
        ));
    }
    let credssp_off = file.int("enablecredsspsupport") == Some(0);
    if credssp_off {
        limitations.push(
            "The file turns CredSSP off (enablecredsspsupport:i:0), so the negotiation offered TLS only (PROTOCOL_SSL), as a client honouring the file does."
                .to_owned(),
        );
    }
    Some(CheckPlan { host: addr.host, port, credssp_off, gateway, limitations })
}

/// Findings that need the file and the server's answer together.
pub fn cross_check(file: &RdpFile, report: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(tls) = &report.evidence.tls else { return out };
    let Some(trust) = tls.trust.as_ref().filter(|t| !t.trusted) else { return out };
    if file.int("authentication level") != Some(1) {
        return out;
    }
    let line = file.effective("authentication level").map_or(0, |(n, _)| n);
    let mut evidence = vec![
        format!("line {line}: `authentication level:i:1`: if server authentication fails, do not connect"),
        format!(
            "{}: not trusted: {} (name checked: {})",
            trust.verifier,
            trust.error.as_deref().unwrap_or("no reason given"),
            tls.server_name
        ),
    ];
    if let Some(leaf) = tls.chain.first() {
        evidence.push(format!(
            "leaf certificate: subject \"{}\", issuer \"{}\", SHA-1 thumbprint {}",
            leaf.subject, leaf.issuer, leaf.sha1_thumbprint
        ));
    }
    out.push(Finding::new(
        &cat::RDPFILE_AUTH_LEVEL_REFUSES_CERTIFICATE,
        format!(
            "line {line} says not to connect when server authentication fails, and {}'s certificate fails it",
            tls.server_name
        ),
        evidence,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(text: &str) -> Option<CheckPlan> {
        plan(&RdpFile::parse(text.as_bytes()), 3389)
    }

    #[test]
    fn plan_takes_the_address_from_the_file() {
        let p = plan_of("full address:s:rds1.corp.example:3390\n").unwrap_or_else(|| unreachable!());
        assert_eq!((p.host.as_str(), p.port, p.credssp_off), ("rds1.corp.example", 3390, false));
        assert!(p.limitations.is_empty());
        let p = plan_of("full address:s:[::1]\n").unwrap_or_else(|| unreachable!());
        assert_eq!((p.host.as_str(), p.port), ("::1", 3389));
        assert_eq!(plan_of("username:s:bob\n"), None);
        assert_eq!(plan_of("full address:s:h:0\n"), None);
    }

    #[test]
    fn plan_states_what_is_not_checked() {
        let p = plan_of(
            "full address:s:h\ngatewayusagemethod:i:1\ngatewayhostname:s:gw.example\nloadbalanceinfo:s:tsv://MS Terminal Services Plugin.1.Farm\nenablecredsspsupport:i:0\nserver port:i:3390\n",
        )
        .unwrap_or_else(|| unreachable!());
        assert!(p.credssp_off);
        assert_eq!(p.limitations.len(), 4, "{:#?}", p.limitations);
        assert!(p.limitations[0].contains("RD Gateway gw.example"));
        assert!(p.limitations[0].contains("the gateway was checked"));
        assert_eq!(p.gateway.as_deref(), Some("gw.example"));
        assert_eq!(
            plan_of("full address:s:h\ngatewayusagemethod:i:2\ngatewayhostname:s:gw\n").and_then(|p| p.gateway),
            None
        );
    }
}
