//! JSON rendering: the report serialised as is (schema_version 1; see README.md "JSON output").

use rdp_doctor_core::Report;

/// Pretty JSON of the report. Serialisation of these plain structs cannot fail; if it ever did, the
/// output says so in JSON rather than printing nothing.
pub fn render(report: &Report) -> String {
    serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"schema_version\":1,\"error\":\"cannot serialise report: {e}\"}}"))
}
