//! What the server tells the client about the logon, after the connection sequence: the Save Session Info
//! PDU (MS-RDPBCGR 2.2.10.1) with its `infoType`, the Logon Info Extended fields (2.2.10.1.1.4) and the
//! Logon Errors Info structure (2.2.10.1.1.4.1.1) with its two numbers.
//!
//! The two numbers of Logon Errors Info are read together: `ErrorNotificationType` is either one of the
//! `LOGON_MSG_*` values (Winlogon's session arbitration: the logon continues, a dialog is shown, the
//! session ends) or ERROR_CODE_ACCESS_DENIED, whose `ErrorNotificationData` is a session identifier (or is
//! to be ignored); or it is an NTSTATUS, whose `ErrorNotificationData` is one of the `LOGON_FAILED_*` /
//! `LOGON_WARNING` values that tell the client what to show. Only some of them are failures: a successful
//! logon commonly carries `LOGON_MSG_SESSION_CONTINUE` (0xFFFFFFFE) with the new session's ID, and a
//! session ID of 0 to 3 must not be read as `LOGON_FAILED_*`. [`read_logon_error`] gives that reading.

use crate::advice::*;
use crate::{Code, Family, Kind, Shape};

const SPEC_SAVE: &str = "MS-RDPBCGR 2.2.10.1.1 Save Session Info PDU Data (TS_SAVE_SESSION_INFO_PDU_DATA): https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/d892bc5b-aecd-4aee-99b6-5f43b5a63d75";
const SPEC_ERRORS: &str = "MS-RDPBCGR 2.2.10.1.1.4.1.1 Logon Errors Info (TS_LOGON_ERRORS_INFO): https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/845eb789-6edf-453a-8b0e-c976823d1f72";
const SPEC_ONLOGONERROR: &str = "Microsoft Learn, IMsTscAxEvents::OnLogonError (the same values as the client control reports them, ARBITRATION_CODE_* names): https://learn.microsoft.com/en-us/windows/win32/termserv/imstscaxevents-onlogonerror";
const SPEC_SEND: &str = "MS-RDPBCGR 3.3.5.10.1 Sending Save Session Info PDU: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/3061e2df-ae7c-41fe-8743-650a9cb70365";

/// The finding of a Logon Errors Info that is a failure.
const FAILED: &[&str] = &["session.logon_failed"];
/// The finding of a Logon Errors Info that reports progress or a prompt, not a failure.
const NOTICE: &[&str] = &["session.logon_notice"];

/// MS-RDPBCGR 2.2.10.1.1 `infoType`.
pub static INFO_TYPE: Family = Family {
    kind: Kind::LogonInfo,
    id: "logon-info",
    title: "Save Session Info type",
    seen_as: "decrypted packet captures (Save Session Info PDU), rdp-doctor check --user (session layer), FreeRDP debug logs",
    about: "The kind of logon information a server sends in a Save Session Info PDU once the connection sequence is done: a notification that the user has logged on (three forms), or extended information carrying an auto-reconnect cookie and/or Logon Errors Info.",
    not_to_confuse: "INFOTYPE_LOGON_EXTENDED_INFO is not itself an error: it carries whatever Logon Errors Info says, and a successful logon often sends one with LOGON_MSG_SESSION_CONTINUE.",
    sources: &[SPEC_SAVE, SPEC_SEND],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: INFO_TYPE_CODES,
    groups: &[],
};

static INFO_TYPE_CODES: &[Code] = &[
    Code::new(
        0x0,
        "INFOTYPE_LOGON",
        "The user has logged on; Logon Info Version 1 (2.2.10.1.1.1) follows with the domain, user name and session ID.",
    ),
    Code::new(
        0x1,
        "INFOTYPE_LOGON_LONG",
        "The user has logged on; Logon Info Version 2 (2.2.10.1.1.2) follows, for names longer than Version 1 holds.",
    ),
    Code::new(
        0x2,
        "INFOTYPE_LOGON_PLAINNOTIFY",
        "The user has logged on; no details follow (Plain Notify, 2.2.10.1.1.3).",
    ),
    Code::new(
        0x3,
        "INFOTYPE_LOGON_EXTENDED_INFO",
        "Logon Info Extended (2.2.10.1.1.4) follows: an auto-reconnect cookie and/or Logon Errors Info.",
    ),
];

/// MS-RDPBCGR 2.2.10.1.1.4 Logon Info Extended `FieldsPresent`.
pub static EX_FIELDS: Family = Family {
    kind: Kind::LogonExFields,
    id: "logon-ex-fields",
    title: "Logon Info Extended fields",
    seen_as: "decrypted packet captures (Save Session Info PDU, INFOTYPE_LOGON_EXTENDED_INFO)",
    about: "Which fields a Logon Info Extended structure carries, in this order: the auto-reconnect cookie (ARC_SC_PRIVATE_PACKET, 2.2.4.2) and the Logon Errors Info (2.2.10.1.1.4.1.1). A bit set.",
    not_to_confuse: "",
    sources: &["MS-RDPBCGR 2.2.10.1.1.4 Logon Info Extended (TS_LOGON_INFO_EXTENDED)", SPEC_SAVE],
    shape: Shape::Bits,
    freerdp_class: None,
    codes: EX_FIELDS_CODES,
    groups: &[],
};

static EX_FIELDS_CODES: &[Code] = &[
    Code::new(
        0x1,
        "LOGON_EX_AUTORECONNECTCOOKIE",
        "An auto-reconnect cookie (ARC_SC_PRIVATE_PACKET) is present: the client may reconnect to this session without credentials.",
    ),
    Code::new(0x2, "LOGON_EX_LOGONERRORS", "Logon Errors Info is present."),
];

/// MS-RDPBCGR 2.2.10.1.1.4.1.1 `ErrorNotificationType` (the values that are not NTSTATUS codes).
pub static ERROR_TYPE: Family = Family {
    kind: Kind::LogonError,
    id: "logon-error",
    title: "Logon Errors Info notification type",
    seen_as: "decrypted packet captures and FreeRDP logs (errorNotificationType), IMsTscAxEvents::OnLogonError (ARBITRATION_CODE_*), rdp-doctor check --user",
    about: "The first number of Logon Errors Info: what Winlogon is doing with this logon. The LOGON_MSG_* values report session arbitration (the logon continues, a dialog about an existing session is on screen, the session is ending) with the session ID in ErrorNotificationData; ERROR_CODE_ACCESS_DENIED is a refusal. Any other value is an NTSTATUS (STATUS_LOGON_FAILURE …), with one of the LOGON_FAILED_* values in ErrorNotificationData.",
    not_to_confuse: "The name says \"error\", but LOGON_MSG_SESSION_CONTINUE (0xFFFFFFFE) is what a successful logon commonly sends: the logon is continuing. FreeRDP logs print its session ID through the LOGON_FAILED_* names (\"LOGON_FAILED_OTHER\" for session 2), which is a misreading.",
    sources: &[SPEC_ERRORS, SPEC_ONLOGONERROR],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: ERROR_TYPE_CODES,
    groups: &[],
};

static ERROR_TYPE_CODES: &[Code] = &[
    Code::new(
        0xFFFF_FFF8,
        "LOGON_MSG_SESSION_BUSY_OPTIONS",
        "Winlogon is showing the \"Session is Busy\" dialog for the session named in ErrorNotificationData; the user chooses how to go on.",
    )
    .findings(NOTICE),
    Code::new(
        0xFFFF_FFF9,
        "LOGON_MSG_DISCONNECT_REFUSED",
        "Winlogon is showing the \"Disconnection Refused\" dialog: the user connected to the session named in ErrorNotificationData refused to be disconnected, so this logon cannot take that session over.",
    )
    .findings(FAILED)
    .advice(&REPLACED_BY_OTHER),
    Code::new(
        0xFFFF_FFFA,
        "LOGON_MSG_NO_PERMISSION",
        "Winlogon is showing the \"No Permission\" dialog: this user may not connect to the session named in ErrorNotificationData.",
    )
    .findings(FAILED)
    .advice(&INSUFFICIENT_PRIVILEGES),
    Code::new(
        0xFFFF_FFFB,
        "LOGON_MSG_BUMP_OPTIONS",
        "Winlogon is showing the \"Session Contention\" dialog: the user's session is in use elsewhere and the user chooses whether to take it over.",
    )
    .findings(NOTICE),
    Code::new(
        0xFFFF_FFFC,
        "LOGON_MSG_RECONNECT_OPTIONS",
        "Winlogon is showing the \"Session Reconnection\" dialog: the user has a disconnected session (named in ErrorNotificationData) and chooses whether to reconnect to it.",
    )
    .findings(NOTICE),
    Code::new(
        0xFFFF_FFFD,
        "LOGON_MSG_SESSION_TERMINATE",
        "The session named in ErrorNotificationData is being terminated (ARBITRATION_CODE_CONTINUE_TERMINATE: Winlogon ends it silently); not a failure by itself, what follows says why.",
    )
    .findings(NOTICE),
    Code::new(
        0xFFFF_FFFE,
        "LOGON_MSG_SESSION_CONTINUE",
        "The logon is continuing in the session named in ErrorNotificationData (ARBITRATION_CODE_CONTINUE_LOGON): progress, not an error.",
    )
    .findings(NOTICE),
    Code::new(
        0xFFFF_FFFF,
        "ERROR_CODE_ACCESS_DENIED",
        "The logon failed and cannot proceed: the user was denied access (ErrorNotificationData is to be ignored).",
    )
    .findings(FAILED)
    .advice(&INSUFFICIENT_PRIVILEGES),
];

/// MS-RDPBCGR 2.2.10.1.1.4.1.1 `ErrorNotificationData` (the values read when the type is an NTSTATUS).
pub static ERROR_DATA: Family = Family {
    kind: Kind::LogonData,
    id: "logon-data",
    title: "Logon Errors Info notification data",
    seen_as: "decrypted packet captures and FreeRDP logs (errorNotificationData), IMsTscAxEvents::OnLogonError",
    about: "The second number of Logon Errors Info. When ErrorNotificationType is an NTSTATUS it is one of these four values, telling the client what to show (the logon screen, a password change, a warning). When ErrorNotificationType is a LOGON_MSG_* value it is a session ID, not one of these.",
    not_to_confuse: "Session IDs 0 to 3 have the same numbers as these values: LOGON_MSG_SESSION_CONTINUE with data 2 is \"the logon continues in session 2\", not LOGON_FAILED_OTHER.",
    sources: &[SPEC_ERRORS, SPEC_ONLOGONERROR],
    shape: Shape::Exact,
    freerdp_class: None,
    codes: ERROR_DATA_CODES,
    groups: &[],
};

static ERROR_DATA_CODES: &[Code] = &[
    Code::new(
        0x0,
        "LOGON_FAILED_BAD_PASSWORD",
        "The logon failed: the credentials supplied are not valid; the client shows the logon screen.",
    )
    .advice(&BAD_CREDENTIALS),
    Code::new(
        0x1,
        "LOGON_FAILED_UPDATE_PASSWORD",
        "The logon failed: the password has expired and must be changed before the logon can go on.",
    )
    .advice(&PASSWORD_CHANGE),
    Code::new(
        0x2,
        "LOGON_FAILED_OTHER",
        "The logon (or something right after it) failed for another reason; the client shows the logon screen.",
    ),
    Code::new(0x3, "LOGON_WARNING", "Winlogon shows a dialog with important information for the user (a warning)."),
];

/// How a Logon Errors Info reads, as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogonClass {
    /// The logon is continuing (LOGON_MSG_SESSION_CONTINUE).
    Continues,
    /// Winlogon shows a dialog about an existing session and waits for the user (busy, contention,
    /// reconnection).
    Prompt,
    /// The session is being terminated (LOGON_MSG_SESSION_TERMINATE): not a verdict on its own.
    Ending,
    /// Winlogon shows a warning (an NTSTATUS with LOGON_WARNING).
    Warning,
    /// The logon failed or was refused: ERROR_CODE_ACCESS_DENIED, LOGON_MSG_NO_PERMISSION,
    /// LOGON_MSG_DISCONNECT_REFUSED, or an NTSTATUS error with LOGON_FAILED_*.
    Failed,
    /// An NTSTATUS that is not an error (success or informational) without a failure in the data.
    Informational,
}

impl LogonClass {
    /// Whether the session rules judge it a failed logon.
    pub fn is_failure(self) -> bool {
        self == Self::Failed
    }

    /// Stable name (JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continues => "continues",
            Self::Prompt => "prompt",
            Self::Ending => "ending",
            Self::Warning => "warning",
            Self::Failed => "failed",
            Self::Informational => "informational",
        }
    }
}

/// What ErrorNotificationData holds, by the type it comes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogonData {
    /// A session ID (with a LOGON_MSG_* type).
    SessionId(u32),
    /// One of the LOGON_FAILED_* / LOGON_WARNING values (with an NTSTATUS type).
    Code(&'static Code),
    /// To be ignored (ERROR_CODE_ACCESS_DENIED), or a value outside the table with an NTSTATUS type.
    Other(u32),
}

/// The reading of one Logon Errors Info.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogonErrorReading {
    pub error_type: u32,
    pub error_data: u32,
    /// The LOGON_MSG_* / ERROR_CODE_ACCESS_DENIED code, or the NTSTATUS code when the tables know it.
    pub type_code: Option<&'static Code>,
    /// The type is an NTSTATUS (not a LOGON_MSG_* value).
    pub ntstatus: bool,
    pub data: LogonData,
    pub class: LogonClass,
}

impl LogonErrorReading {
    /// The type's name: its LOGON_MSG_* or NTSTATUS name, else "NTSTATUS 0x…".
    pub fn type_name(&self) -> String {
        self.type_code.map_or_else(|| format!("NTSTATUS {}", crate::hex(self.error_type)), |c| c.name.to_owned())
    }

    /// The data in words: "session 2", "LOGON_FAILED_BAD_PASSWORD (0x0)", "0x7 (ignored)".
    pub fn data_text(&self) -> String {
        match self.data {
            LogonData::SessionId(id) => format!("session {id}"),
            LogonData::Code(c) => format!("{} ({})", c.name, crate::hex(c.value)),
            LogonData::Other(v) if self.error_type == 0xFFFF_FFFF => format!("{} (to be ignored)", crate::hex(v)),
            LogonData::Other(v) => format!("{} (not a LOGON_FAILED_* value)", crate::hex(v)),
        }
    }
}

/// Reads the two numbers of a Logon Errors Info together (MS-RDPBCGR 2.2.10.1.1.4.1.1).
pub fn read_logon_error(error_type: u32, error_data: u32) -> LogonErrorReading {
    if let Some(code) = ERROR_TYPE.code(error_type) {
        let (class, data) = match error_type {
            0xFFFF_FFFE => (LogonClass::Continues, LogonData::SessionId(error_data)),
            0xFFFF_FFFD => (LogonClass::Ending, LogonData::SessionId(error_data)),
            0xFFFF_FFF9 | 0xFFFF_FFFA => (LogonClass::Failed, LogonData::SessionId(error_data)),
            0xFFFF_FFFF => (LogonClass::Failed, LogonData::Other(error_data)),
            _ => (LogonClass::Prompt, LogonData::SessionId(error_data)),
        };
        return LogonErrorReading { error_type, error_data, type_code: Some(code), ntstatus: false, data, class };
    }
    let data = ERROR_DATA.code(error_data).map_or(LogonData::Other(error_data), LogonData::Code);
    let type_code =
        crate::family(Kind::Ntstatus).code(error_type).or_else(|| crate::family(Kind::Sspi).code(error_type));
    // NTSTATUS severity: the top two bits (MS-ERREF 2.3): 3 = error, 2 = warning, 1 = informational.
    let class = match (error_type >> 30, error_data) {
        (3, _) => LogonClass::Failed,
        (_, 3) => LogonClass::Warning,
        (_, 0..=2) if error_type >> 30 == 2 => LogonClass::Failed,
        (2, _) => LogonClass::Warning,
        _ => LogonClass::Informational,
    };
    LogonErrorReading { error_type, error_data, type_code, ntstatus: true, data, class }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_successful_logon_continues_in_its_session() {
        let r = read_logon_error(0xFFFF_FFFE, 2);
        assert_eq!(r.class, LogonClass::Continues);
        assert!(!r.class.is_failure());
        assert_eq!(r.type_name(), "LOGON_MSG_SESSION_CONTINUE");
        assert_eq!(r.data_text(), "session 2");
    }

    #[test]
    fn failures_only_on_failure_types() {
        for (t, d, class) in [
            (0xFFFF_FFF8, 1, LogonClass::Prompt),
            (0xFFFF_FFF9, 3, LogonClass::Failed),
            (0xFFFF_FFFA, 3, LogonClass::Failed),
            (0xFFFF_FFFB, 0, LogonClass::Prompt),
            (0xFFFF_FFFC, 1, LogonClass::Prompt),
            (0xFFFF_FFFD, 1, LogonClass::Ending),
            (0xFFFF_FFFF, 7, LogonClass::Failed),
            (0xC000_006D, 0, LogonClass::Failed),
            (0xC000_0224, 1, LogonClass::Failed),
            (0x0000_0000, 3, LogonClass::Warning),
            (0x0000_0000, 9, LogonClass::Informational),
        ] {
            assert_eq!(read_logon_error(t, d).class, class, "{t:#x} {d}");
        }
        let r = read_logon_error(0xC000_006D, 0);
        assert_eq!(r.type_name(), "STATUS_LOGON_FAILURE");
        assert_eq!(r.data_text(), "LOGON_FAILED_BAD_PASSWORD (0x0)");
        assert_eq!(read_logon_error(0xC012_3456, 2).type_name(), "NTSTATUS 0xC0123456");
        assert_eq!(read_logon_error(0xFFFF_FFFF, 7).data_text(), "0x7 (to be ignored)");
    }

    #[test]
    fn every_type_code_links_a_finding_by_its_class() {
        for c in ERROR_TYPE_CODES {
            let failed = read_logon_error(c.value, 1).class.is_failure();
            assert_eq!(c.findings, if failed { FAILED } else { NOTICE }, "{}", c.name);
        }
    }
}
