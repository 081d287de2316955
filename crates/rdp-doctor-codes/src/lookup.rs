//! Finding a number or a name in the families. Every function accepts any input and never panics.

use crate::{Code, Family, Group, Kind, Shape, Status};

/// Every family, most likely first: what users bring most often (the mstsc dialog's two numbers), then
/// what logs show, then the protocol fields only captures and rdp-doctor show.
static FAMILIES: [&Family; 17] = [
    &crate::disconnect::FAMILY,
    &crate::extended::FAMILY,
    &crate::errinfo::FAMILY,
    &crate::credssp::FAMILY,
    &crate::sspi::FAMILY,
    &crate::gateway::FAMILY,
    &crate::freerdp::FAMILY,
    &crate::nego::NEG_FAILURE,
    &crate::authz::AUTHZ,
    &crate::authz::RDSTLS,
    &crate::kerberos::FAMILY,
    &crate::nego::NEG_PROTOCOL,
    &crate::nego::NEG_RSP_FLAGS,
    &crate::logon::ERROR_TYPE,
    &crate::logon::ERROR_DATA,
    &crate::logon::INFO_TYPE,
    &crate::logon::EX_FIELDS,
];

/// Every family, most likely first.
pub fn families() -> &'static [&'static Family] {
    &FAMILIES
}

/// The family of a kind.
pub fn family(kind: Kind) -> &'static Family {
    // Every Kind has exactly one family (a test checks it); the fallback is unreachable in practice.
    FAMILIES.iter().copied().find(|f| f.kind == kind).unwrap_or(&crate::disconnect::FAMILY)
}

/// The family with this `--kind` name.
pub fn family_by_id(id: &str) -> Option<&'static Family> {
    FAMILIES.iter().copied().find(|f| f.id.eq_ignore_ascii_case(id))
}

/// In which form a number matched a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The number is the code's value.
    Exact,
    /// The number is the low 16 bits of the code's HRESULT (`HRESULT_CODE`).
    Low16,
    /// The number is FreeRDP's `(class << 16) | code`.
    FreerdpComposite { class: u32 },
}

/// How a number reads in one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// One named code.
    Code { code: &'static Code, form: Form },
    /// A combination of single-bit codes.
    Bits { codes: Vec<&'static Code> },
    /// Inside a documented range without a name of its own.
    Group { group: &'static Group, form: Form },
}

/// A number read in one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub family: &'static Family,
    pub value: u32,
    pub reading: Reading,
}

impl Match {
    /// The one code of the reading, when it is a single code.
    pub fn code(&self) -> Option<&'static Code> {
        match &self.reading {
            Reading::Code { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl Family {
    /// Reads `value` in this family, if it belongs to it.
    pub fn lookup(&'static self, value: u32) -> Option<Match> {
        let hit = |reading| Some(Match { family: self, value, reading });
        if self.shape == Shape::Bits && value != 0 {
            let mut known = 0u32;
            let mut codes = Vec::new();
            for c in self.codes.iter().filter(|c| c.status == Status::Documented && c.value.count_ones() == 1) {
                known |= c.value;
                if value & c.value != 0 {
                    codes.push(c);
                }
            }
            if value & !known == 0 {
                return match codes.as_slice() {
                    [one] => hit(Reading::Code { code: one, form: Form::Exact }),
                    _ => hit(Reading::Bits { codes }),
                };
            }
        }
        if let Some(code) = self.code(value) {
            return hit(Reading::Code { code, form: Form::Exact });
        }
        if self.shape == Shape::Hresult
            && value <= 0xFFFF
            && let Some(code) = self.codes.iter().find(|c| c.value & 0xFFFF == value && c.value >> 16 == 0x8007)
        {
            return hit(Reading::Code { code, form: Form::Low16 });
        }
        if let Some(class) = self.freerdp_class
            && value >> 16 == class
        {
            let form = Form::FreerdpComposite { class };
            let low = value & 0xFFFF;
            if let Some(code) = self.code(low) {
                return hit(Reading::Code { code, form });
            }
            if let Some(group) = self.group(low) {
                return hit(Reading::Group { group, form });
            }
        }
        self.group(value).and_then(|group| hit(Reading::Group { group, form: Form::Exact }))
    }
}

/// Every reading of `value`, most likely first: named codes in family order, then unnamed members of a
/// documented range. Only `kind`'s family when given.
pub fn explain_number(value: u32, kind: Option<Kind>) -> Vec<Match> {
    let mut out: Vec<Match> =
        FAMILIES.iter().filter(|f| kind.is_none_or(|k| f.kind == k)).filter_map(|f| f.lookup(value)).collect();
    out.sort_by_key(|m| matches!(m.reading, Reading::Group { .. }));
    out
}

/// Codes whose name is `name` (case-insensitive), in family order.
pub fn by_name(name: &str) -> Vec<(&'static Family, &'static Code)> {
    let name = name.trim();
    FAMILIES
        .iter()
        .flat_map(|f| f.codes.iter().map(move |c| (*f, c)))
        .filter(|(_, c)| c.name.eq_ignore_ascii_case(name))
        .collect()
}

/// Codes that link to a finding ID, in family order.
pub fn codes_for_finding(finding_id: &str) -> Vec<(&'static Family, &'static Code)> {
    FAMILIES
        .iter()
        .flat_map(|f| f.codes.iter().map(move |c| (*f, c)))
        .filter(|(_, c)| c.findings.contains(&finding_id))
        .collect()
}

/// Why a string is not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty number")]
    Empty,
    #[error("not a number (use hex such as 0x904 or decimal such as 2308)")]
    NotANumber,
    #[error("the number does not fit in 32 bits")]
    TooLarge,
}

/// Parses a code as users type or paste it: `0x904`, `0X904`, `2308`, `C000006D` (hex digits with a
/// letter), `-1073741715` (a signed 32-bit value as PowerShell prints NTSTATUS and HRESULTs),
/// `[0x0002000D]`. Surrounding brackets, parentheses, commas and a trailing `h` are ignored.
pub fn parse_number(s: &str) -> Result<u32, ParseError> {
    let t = s.trim().trim_matches(|c: char| matches!(c, '[' | ']' | '(' | ')' | ',' | ';' | ':' | '.')).trim();
    if t.is_empty() {
        return Err(ParseError::Empty);
    }
    let hex_digits = |h: &str| -> Result<u32, ParseError> {
        let h = h.replace('_', "");
        if h.is_empty() || !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ParseError::NotANumber);
        }
        u32::from_str_radix(&h, 16).map_err(|_| ParseError::TooLarge)
    };
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return hex_digits(h);
    }
    if let Some(d) = t.strip_prefix('-') {
        if !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()) {
            let v: i64 = d.parse().map_err(|_| ParseError::TooLarge)?;
            let v = i32::try_from(-v).map_err(|_| ParseError::TooLarge)?;
            return Ok(u32::from_ne_bytes(v.to_ne_bytes()));
        }
        return Err(ParseError::NotANumber);
    }
    if t.chars().all(|c| c.is_ascii_digit()) {
        return t.parse::<u32>().map_err(|_| ParseError::TooLarge);
    }
    if let Some(h) = t.strip_suffix(['h', 'H']) {
        return hex_digits(h);
    }
    if t.chars().any(|c| c.is_ascii_alphabetic()) {
        return hex_digits(t);
    }
    Err(ParseError::NotANumber)
}
