//! The one place that builds IronRDP's connector configuration (its `Config` changes between releases).

use ironrdp_connector::{Config, Credentials as IronCredentials, DesktopSize};
use ironrdp_pdu::gcc;
use ironrdp_pdu::nego::NegoRequestData;
use ironrdp_pdu::rdp::capability_sets::{MajorPlatformType, RailSupportLevel};
use ironrdp_pdu::rdp::client_info::{PerformanceFlags, TimezoneInfo};
use rdp_doctor_proto::nego::SecurityProtocol;

use super::Credentials;

/// The protocols the connector can drive: TLS and CredSSP (IronRDP has no RC4 Standard RDP Security).
pub const DRIVABLE: u32 =
    SecurityProtocol::PROTOCOL_SSL.0 | SecurityProtocol::PROTOCOL_HYBRID.0 | SecurityProtocol::PROTOCOL_HYBRID_EX.0;

/// A client configuration that looks like an ordinary desktop client: 1024×768, US keyboard, error-info
/// support (the connector always sets RNS_UD_CS_SUPPORT_ERR_INFO_PDU), logon notifications and logon errors
/// requested in the Client Info PDU, and INFO_AUTOLOGON so a server without NLA logs on with the
/// credentials instead of showing its logon screen.
///
/// Note: IronRDP's `Config` is `Debug` with the password inside; it must never be printed or logged.
pub(crate) fn build(creds: &Credentials, requested: u32, cookie: Option<&str>) -> Config {
    let (username, domain) = creds.split_account();
    Config {
        desktop_size: DesktopSize { width: 1024, height: 768 },
        monitor_layout: None,
        desktop_scale_factor: 0,
        desktop_physical_size: None,
        desktop_orientation: None,
        device_scale_factor: None,
        monitor_extended_layout: None,
        relative_mouse_input: false,
        enable_tls: requested & SecurityProtocol::PROTOCOL_SSL.0 != 0,
        enable_credssp: requested & (SecurityProtocol::PROTOCOL_HYBRID.0 | SecurityProtocol::PROTOCOL_HYBRID_EX.0) != 0,
        enable_standard_rdp_security: false,
        credentials: IronCredentials::UsernamePassword { username, password: creds.password.expose().to_owned() },
        domain,
        client_build: 22621,
        client_name: "rdp-doctor".to_owned(),
        keyboard_type: gcc::KeyboardType::IBM_ENHANCED,
        keyboard_subtype: 0,
        keyboard_functional_keys_count: 12,
        keyboard_layout: 0x409,
        connection_type: gcc::ConnectionType::Lan,
        ime_file_name: String::new(),
        bitmap: None,
        dig_product_id: String::new(),
        client_dir: "C:\\Windows\\System32\\mstscax.dll".to_owned(),
        alternate_shell: String::new(),
        work_dir: String::new(),
        remote_application_mode: false,
        rail_support_level: RailSupportLevel::empty(),
        platform: MajorPlatformType::UNIX,
        hardware_id: None,
        // Like mstsc: the `mstshash` cookie carries the user name unless --cookie says otherwise.
        request_data: cookie.map(|c| NegoRequestData::cookie(c.to_owned())),
        autologon: true,
        enable_audio_playback: false,
        enable_audio_capture: false,
        performance_flags: PerformanceFlags::default(),
        license_cache: None,
        timezone_info: TimezoneInfo::default(),
        compression_type: None,
        enable_server_pointer: false,
        pointer_software_rendering: true,
        multitransport_flags: None,
        support_dyn_vc_gfx_protocol: false,
    }
}

/// Overwrites the connector's copy of the password once the run is over.
pub(crate) fn scrub(config: &mut Config) {
    use zeroize::Zeroize;
    if let IronCredentials::UsernamePassword { password, .. } = &mut config.credentials {
        password.zeroize();
    }
}
