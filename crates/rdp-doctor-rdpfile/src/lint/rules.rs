//! What the file means as a whole: the address, gateway, CredSSP, server authentication and display
//! settings taken together (the effective line of each), and risks.

use rdp_doctor_core::catalogue::rdpfile as cat;

use super::Collector;
use crate::RdpFile;
use crate::address::{self, parse_address};
use crate::parse::TypeTag;
use crate::settings;

pub(super) fn check(file: &RdpFile, c: &mut Collector) {
    full_address(file, c);
    gateway(file, c);
    credssp(file, c);
    authentication_level(file, c);
    display(file, c);
    autodetect(file, c);
    secrets(file, c);
}

/// `` line N: `name:t:value` `` for the effective line of a setting, as evidence about another line.
fn shown(file: &RdpFile, key: &str) -> String {
    file.effective(key).map_or_else(|| format!("`{key}` not set"), |(n, s)| format!("line {n}: `{}`", s.shown()))
}

/// `name:t:value` of the effective line of a setting.
fn written(file: &RdpFile, key: &str) -> String {
    file.effective(key).map(|(_, s)| s.shown()).unwrap_or_default()
}

fn full_address(file: &RdpFile, c: &mut Collector) {
    let Some((line, s)) = file.effective("full address").filter(|(_, s)| s.tag == TypeTag::S) else {
        let alt =
            file.text("alternate full address").map(|(n, v)| format!(" (line {n} has `alternate full address:s:{v}`)"));
        c.add(
            &cat::RDPFILE_MISSING_FULL_ADDRESS,
            None,
            format!("no `full address:s:` line{}", alt.unwrap_or_default()),
        );
        return;
    };
    let addr = match parse_address(&s.value) {
        Ok(a) => a,
        Err(address::AddressError::Empty) => {
            c.add(&cat::RDPFILE_MISSING_FULL_ADDRESS, Some(line), "`full address` is empty");
            return;
        }
        Err(e) => {
            c.add(&cat::RDPFILE_BAD_FULL_ADDRESS, Some(line), format!("`{}`: {e}", s.shown()));
            return;
        }
    };
    if let (Some((sp_line, _)), Some(sp)) = (file.effective("server port"), file.int("server port")) {
        let fa_port = addr.port_or_default();
        if i64::from(fa_port) != sp {
            let named = if addr.port.is_some() { "names port" } else { "has no port, so the default" };
            c.add(
                &cat::RDPFILE_PORT_CONFLICT,
                Some(sp_line),
                format!(
                    "`server port:i:{sp}`, while line {line} `full address` {named} {fa_port} applies; FreeRDP 2.11 connects to {sp} (observed)"
                ),
            );
        }
    }
}

fn gateway(file: &RdpFile, c: &mut Collector) {
    let usage = file.int("gatewayusagemethod");
    let host = file.text("gatewayhostname");
    match (usage, host) {
        (Some(1 | 2), None) => c.add(
            &cat::RDPFILE_GATEWAY_WITHOUT_HOST,
            file.effective("gatewayusagemethod").map(|(n, _)| n),
            format!(
                "`{}` but no gateway is named ({})",
                written(file, "gatewayusagemethod"),
                shown(file, "gatewayhostname")
            ),
        ),
        (Some(u @ (0 | 4)), Some((n, h))) => c.add(
            &cat::RDPFILE_GATEWAY_HOST_UNUSED,
            Some(n),
            format!(
                "`gatewayhostname:s:{}` is not used: {} ({})",
                crate::parse::preview(h),
                shown(file, "gatewayusagemethod"),
                settings::lookup("gatewayusagemethod").and_then(|d| d.value_meaning(u)).unwrap_or_default()
            ),
        ),
        (Some(1 | 2), Some(_)) if file.int("gatewayprofileusagemethod") == Some(0) => c.add(
            &cat::RDPFILE_GATEWAY_PROFILE_DEFAULT,
            file.effective("gatewayprofileusagemethod").map(|(n, _)| n),
            format!("`{}` with {}", written(file, "gatewayprofileusagemethod"), shown(file, "gatewayusagemethod")),
        ),
        _ => {}
    }
}

fn credssp(file: &RdpFile, c: &mut Collector) {
    if file.int("enablecredsspsupport") != Some(0) {
        return;
    }
    let line = file.effective("enablecredsspsupport").map(|(n, _)| n);
    c.add(&cat::RDPFILE_CREDSSP_DISABLED, line, "`enablecredsspsupport:i:0`: no Network Level Authentication");
    if let Some((n, v)) = file.text("kdcproxyname") {
        c.add(
            &cat::RDPFILE_CREDSSP_DISABLED_CONFLICT,
            Some(n),
            format!(
                "`kdcproxyname:s:{}` serves Kerberos inside CredSSP, which line {} turns off",
                crate::parse::preview(v),
                line.unwrap_or(0)
            ),
        );
    }
    for (key, why) in [
        ("rdgiskdcproxy", "the gateway as KDC proxy serves Kerberos inside CredSSP"),
        ("targetisaadjoined", "user name and password logon to Microsoft Entra joined hosts goes through NLA"),
    ] {
        if file.int(key) == Some(1) {
            c.add(
                &cat::RDPFILE_CREDSSP_DISABLED_CONFLICT,
                file.effective(key).map(|(n, _)| n),
                format!("`{key}:i:1`: {why}, which line {} turns off", line.unwrap_or(0)),
            );
        }
    }
}

fn authentication_level(file: &RdpFile, c: &mut Collector) {
    let Some(level) = file.int("authentication level") else { return };
    let line = file.effective("authentication level").map(|(n, _)| n);
    let meaning = settings::lookup("authentication level").and_then(|d| d.value_meaning(level));
    match (level, meaning) {
        (0, _) => c.add(
            &cat::RDPFILE_SERVER_AUTH_DISABLED,
            line,
            "`authentication level:i:0`: if server authentication fails, connect without warning",
        ),
        (_, Some(m)) => {
            c.add(&cat::RDPFILE_AUTHENTICATION_LEVEL, line, format!("`authentication level:i:{level}`: {m}"))
        }
        (_, None) => {} // out of range: reported with the value checks
    }
}

fn display(file: &RdpFile, c: &mut Collector) {
    let multimon = file.int("use multimon") == Some(1);
    let line_of = |key: &str| file.effective(key).map(|(n, _)| n);
    if let Some((n, v)) = file.text("selectedmonitors")
        && !multimon
    {
        c.add(
            &cat::RDPFILE_DISPLAY_CONFLICT,
            Some(n),
            format!(
                "`selectedmonitors:s:{}` requires `use multimon:i:1`; {}",
                crate::parse::preview(v),
                shown(file, "use multimon")
            ),
        );
    }
    if file.int("singlemoninwindowedmode") == Some(1) && !multimon {
        c.add(
            &cat::RDPFILE_DISPLAY_CONFLICT,
            line_of("singlemoninwindowedmode"),
            format!("`singlemoninwindowedmode:i:1` requires `use multimon:i:1`; {}", shown(file, "use multimon")),
        );
    }
    if file.int("span monitors") == Some(1) && multimon {
        c.add(
            &cat::RDPFILE_DISPLAY_CONFLICT,
            line_of("span monitors"),
            format!(
                "`span monitors:i:1` (one wide desktop) and {} (separate monitors) are two different modes",
                shown(file, "use multimon")
            ),
        );
    }
    if let Some(id) = file.int("desktop size id") {
        const SIZES: [(i64, i64); 5] = [(640, 480), (800, 600), (1024, 768), (1280, 1024), (1600, 1200)];
        let size = usize::try_from(id).ok().and_then(|i| SIZES.get(i));
        let (w, h) = (file.int("desktopwidth"), file.int("desktopheight"));
        if let Some(&(sw, sh)) = size
            && (w.is_some_and(|w| w != sw) || h.is_some_and(|h| h != sh))
        {
            c.add(
                &cat::RDPFILE_DISPLAY_CONFLICT,
                line_of("desktop size id"),
                format!(
                    "`desktop size id:i:{id}` ({sw} x {sh}) but {} and {}",
                    shown(file, "desktopwidth"),
                    shown(file, "desktopheight")
                ),
            );
        }
    }
    if file.int("smart sizing") == Some(1) && file.int("dynamic resolution") == Some(1) {
        c.add(
            &cat::RDPFILE_DISPLAY_CONFLICT,
            line_of("smart sizing"),
            format!(
                "`smart sizing:i:1` (scale the picture) and {} (change the resolution)",
                shown(file, "dynamic resolution")
            ),
        );
    }
}

fn autodetect(file: &RdpFile, c: &mut Collector) {
    if file.int("networkautodetect") == Some(1) && file.int("bandwidthautodetect") == Some(0) {
        c.add(
            &cat::RDPFILE_AUTODETECT_CONFLICT,
            file.effective("networkautodetect").map(|(n, _)| n),
            format!("`networkautodetect:i:1` with {}", shown(file, "bandwidthautodetect")),
        );
    }
}

fn secrets(file: &RdpFile, c: &mut Collector) {
    for (n, s) in file.settings() {
        if s.value.trim().is_empty() {
            continue;
        }
        if s.key == "password 51" {
            c.add(&cat::RDPFILE_SAVED_PASSWORD, Some(n), format!("`{}` (DPAPI-encrypted; never shown)", s.shown()));
        } else if s.key.contains("password") && s.tag == TypeTag::S {
            c.add(&cat::RDPFILE_CLEARTEXT_PASSWORD, Some(n), format!("`{}` (clear text; never shown)", s.shown()));
        }
    }
    if file.int("prompt for credentials") == Some(0)
        && let Some((n, _)) = file.text("username")
    {
        c.add(
            &cat::RDPFILE_NO_CREDENTIAL_PROMPT,
            file.effective("prompt for credentials").map(|(l, _)| l),
            format!("`prompt for credentials:i:0` and a user name on line {n}"),
        );
    }
}
