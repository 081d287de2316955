//! The tables as a whole: complete, consistent, and every documented code found by a lookup of its value.

use std::collections::HashSet;

use proptest::prelude::*;
use rdp_doctor_codes::{
    Form, Kind, Reading, Status, by_name, explain_number, families, family, family_by_id, pair, parse_number,
};

#[test]
fn every_kind_has_exactly_one_family_and_ids_are_unique() {
    let mut ids = HashSet::new();
    let mut kinds = HashSet::new();
    for f in families() {
        assert!(ids.insert(f.id), "duplicate family id {}", f.id);
        assert!(kinds.insert(f.kind), "duplicate family kind {:?}", f.kind);
        assert_eq!(family(f.kind).id, f.id);
        assert_eq!(family_by_id(&f.id.to_uppercase()).map(|g| g.id), Some(f.id));
        assert!(!f.sources.is_empty() && !f.about.is_empty() && !f.title.is_empty(), "{}", f.id);
    }
    assert_eq!(families().len(), 17);
}

#[test]
fn values_and_names_are_unique_within_a_family() {
    for f in families() {
        let mut values = HashSet::new();
        let mut names = HashSet::new();
        for c in f.codes {
            assert!(values.insert(c.value), "{}: duplicate value {:#x}", f.id, c.value);
            assert!(names.insert(c.name), "{}: duplicate name {}", f.id, c.name);
            assert!(c.meaning.ends_with('.'), "{}: {} meaning is not a sentence", f.id, c.name);
            if c.status != Status::Documented {
                assert!(
                    !c.note.is_empty() || f.kind == Kind::Freerdp,
                    "{}: {} says why it is not documented",
                    f.id,
                    c.name
                );
            }
        }
    }
}

/// Every code of every family is explained by a lookup of its own value in its own family.
#[test]
fn every_code_of_every_family_is_found_by_its_value() {
    let mut n = 0;
    for f in families() {
        for c in f.codes {
            let m = explain_number(c.value, Some(f.kind));
            assert_eq!(m.len(), 1, "{}: {}", f.id, c.name);
            let found = match &m[0].reading {
                Reading::Code { code, form } => *form == Form::Exact && code.name == c.name,
                Reading::Bits { codes } => codes.iter().any(|x| x.name == c.name),
                Reading::Group { .. } => false,
            };
            assert!(found, "{}: {} ({:#x}) read as {:?}", f.id, c.name, c.value, m[0].reading);
            assert_eq!(by_name(c.name).iter().filter(|(g, _)| g.id == f.id).count(), 1, "{}", c.name);
            n += 1;
        }
    }
    assert!(n > 280, "only {n} codes");
}

/// The counts of the documented tables (CODES.md): a row lost in an edit fails here.
#[test]
fn documented_table_sizes() {
    let documented = |k: Kind| family(k).codes.iter().filter(|c| c.status == Status::Documented).count();
    // Microsoft's IMsTscAxEvents::OnDisconnected table has 47 rows.
    assert_eq!(documented(Kind::Disconnect), 47);
    // ExtendedDisconnectReasonCode: 0-12, 256-267, 768 (+ the protocol range as a group).
    assert_eq!(documented(Kind::Extended), 26);
    assert_eq!(family(Kind::Extended).groups.len(), 1);
    // ERRINFO: FreeRDP 2.11.7 names 119 values; one is FreeRDP's own (0x1196), ERRINFO 8 is unconfirmed.
    assert_eq!(documented(Kind::Errinfo), 118);
    assert_eq!(family(Kind::Errinfo).codes.len(), 121);
    assert_eq!(documented(Kind::NegFailure), 6);
    assert_eq!(documented(Kind::NegProtocol), 6);
    assert_eq!(documented(Kind::NegRspFlags), 5);
    assert_eq!(documented(Kind::Authz), 2);
    assert_eq!(family(Kind::Rdstls).codes.len(), 8);
    assert_eq!(family(Kind::Gateway).codes.len(), 26);
    assert_eq!(family(Kind::Ntstatus).codes.len(), 18);
    assert_eq!(family(Kind::Sspi).codes.len(), 22);
    assert_eq!(family(Kind::Freerdp).codes.len(), 32);
    assert_eq!(family(Kind::Kerberos).codes.len(), 72);
    // MS-RDPBCGR 2.2.10.1.1 (4 infoTypes), 2.2.10.1.1.4 (2 fields), 2.2.10.1.1.4.1.1 (8 types, 4 data values).
    assert_eq!(documented(Kind::LogonInfo), 4);
    assert_eq!(documented(Kind::LogonExFields), 2);
    assert_eq!(documented(Kind::LogonError), 8);
    assert_eq!(documented(Kind::LogonData), 4);
}

#[test]
fn the_dialog_numbers_of_the_classic_case() {
    let m = explain_number(0x904, None);
    assert_eq!(m[0].code().map(|c| c.name), Some("disconnectReasonAtClientWinsockFDCLOSE"));
    let m = explain_number(7, None);
    let names: Vec<_> = m.iter().map(|m| m.family.id).collect();
    // Most likely first: the dialog's extended code, then the server's ERRINFO.
    assert_eq!(&names[..2], ["extended", "errinfo"]);
    assert!(names.contains(&"freerdp") && names.contains(&"neg-protocol"));
    assert!(pair::misreadings(Kind::Extended, 7).next().is_some());
}

#[test]
fn gateway_low16_and_freerdp_composite_forms() {
    let m = explain_number(0x59DA, Some(Kind::Gateway));
    assert_eq!(m[0].reading, Reading::Code { code: m[0].code().unwrap(), form: Form::Low16 });
    assert_eq!(m[0].code().unwrap().name, "E_PROXY_RAP_ACCESSDENIED");
    let m = explain_number(0x59E6, None);
    assert_eq!(m[0].code().unwrap().name, "E_PROXY_MAXCONNECTIONSREACHED");
    let m = explain_number(0x0002_000D, None);
    assert_eq!(m[0].code().unwrap().name, "ERRCONNECT_CONNECT_TRANSPORT_FAILED");
    assert_eq!(m[0].reading, Reading::Code { code: m[0].code().unwrap(), form: Form::FreerdpComposite { class: 2 } });
    let m = explain_number(0x0001_0007, None);
    assert_eq!(m[0].code().unwrap().name, "ERRINFO_SERVER_DENIED_CONNECTION");
    let m = explain_number(0x0001_10CC, None);
    assert!(matches!(m[0].reading, Reading::Group { .. }), "{m:?}");
}

#[test]
fn bit_sets_read_as_combinations() {
    let m = explain_number(0x0B, Some(Kind::NegProtocol));
    match &m[0].reading {
        Reading::Bits { codes } => {
            assert_eq!(
                codes.iter().map(|c| c.name).collect::<Vec<_>>(),
                ["PROTOCOL_SSL", "PROTOCOL_HYBRID", "PROTOCOL_HYBRID_EX"]
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(explain_number(0, Some(Kind::NegProtocol))[0].code().unwrap().name, "PROTOCOL_RDP");
    assert!(explain_number(0x40, Some(Kind::NegProtocol)).is_empty());
    assert!(explain_number(0, Some(Kind::NegRspFlags)).is_empty());
}

#[test]
fn unknown_numbers_belong_to_no_family() {
    for v in [0x1234_5678, 0xDEAD_BEEF, 0x7FFF_FFFF] {
        assert!(explain_number(v, None).is_empty(), "{v:#x}");
    }
}

#[test]
fn parses_what_users_paste() {
    assert_eq!(parse_number("0x904"), Ok(0x904));
    assert_eq!(parse_number("0X904"), Ok(0x904));
    assert_eq!(parse_number("2308"), Ok(2308));
    assert_eq!(parse_number("C000006D"), Ok(0xC000_006D));
    assert_eq!(parse_number("[0x0002000D]"), Ok(0x0002_000D));
    assert_eq!(parse_number("904h"), Ok(0x904));
    assert_eq!(parse_number("-1073741715"), Ok(0xC000_006D));
    assert_eq!(parse_number("-2147467259"), Ok(0x8000_4005));
    assert_eq!(parse_number("0x7,"), Ok(7));
    assert!(parse_number("").is_err());
    assert!(parse_number("0x").is_err());
    assert!(parse_number("0x1_0000_0000").is_err());
    assert!(parse_number("4294967296").is_err());
    assert!(parse_number("-2147483649").is_err());
    assert!(parse_number("cert.expired").is_err());
    assert!(parse_number("ERRINFO_SERVER_DENIED_CONNECTION").is_err());
}

proptest! {
    /// Any u32, in any family or none, reads without panicking, and every match really contains it.
    #[test]
    fn any_u32_is_safe(v in any::<u32>(), k in 0usize..17) {
        let kind = families().get(k).map(|f| f.kind);
        for m in explain_number(v, kind) {
            prop_assert_eq!(m.value, v);
        }
        let r = pair::read_pair(v, v.rotate_left(7));
        prop_assert!(!r.together.is_empty());
    }

    #[test]
    fn any_string_parses_or_errs(s in "\\PC{0,40}") {
        let _ = parse_number(&s);
        let _ = by_name(&s);
    }
}
