//! A minimal, bounded DER reader and writer (ITU-T X.690) for the few ASN.1 structures rdp-doctor reads
//! itself (CredSSP TSRequest). Every length is checked against the input before use.

/// A DER tag-length-value with borrowed contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    /// Bytes used by the whole TLV.
    pub len: usize,
}

/// Why bytes are not DER.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    #[error("DER length uses {0} bytes; at most 4 are accepted")]
    LengthTooLong(u8),
    #[error("indefinite DER length (0x80) is not allowed")]
    Indefinite,
    #[error("expected tag 0x{expected:02x}, found 0x{found:02x}")]
    UnexpectedTag { expected: u8, found: u8 },
    #[error("INTEGER of {0} bytes does not fit 32 bits")]
    IntegerTooLong(usize),
    #[error("empty INTEGER")]
    EmptyInteger,
    #[error("a DER value runs past the end of the structure that contains it")]
    Truncated,
}

/// Reads one TLV at the start of `buf`; `Ok(None)` when more bytes are needed.
pub fn read_tlv(buf: &[u8]) -> Result<Option<Tlv<'_>>, DerError> {
    let (tag, first) = match buf {
        [t, l, ..] => (*t, *l),
        _ => return Ok(None),
    };
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else if first == 0x80 {
        return Err(DerError::Indefinite);
    } else {
        let n = first & 0x7f;
        if n > 4 {
            return Err(DerError::LengthTooLong(n));
        }
        let Some(bytes) = buf.get(2..2 + usize::from(n)) else { return Ok(None) };
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), 2 + usize::from(n))
    };
    let Some(end) = header.checked_add(len) else { return Err(DerError::LengthTooLong(8)) };
    match buf.get(header..end) {
        Some(value) => Ok(Some(Tlv { tag, value, len: end })),
        None => Ok(None),
    }
}

/// Like [`read_tlv`] but for contents that must be complete (inside an already complete TLV).
pub fn read_complete(buf: &[u8]) -> Result<Tlv<'_>, DerError> {
    read_tlv(buf)?.ok_or(DerError::Truncated)
}

/// Iterates the TLVs of a constructed value's contents.
pub fn children(mut contents: &[u8]) -> Result<Vec<Tlv<'_>>, DerError> {
    let mut out = Vec::new();
    while !contents.is_empty() {
        let tlv = read_complete(contents)?;
        contents = contents.get(tlv.len..).unwrap_or_default();
        out.push(tlv);
    }
    Ok(out)
}

/// Reads a DER INTEGER's value as u32 (two's complement; negative values wrap as NTSTATUS codes do).
pub fn integer_u32(tlv: &Tlv<'_>) -> Result<u32, DerError> {
    if tlv.tag != 0x02 {
        return Err(DerError::UnexpectedTag { expected: 0x02, found: tlv.tag });
    }
    let v = tlv.value;
    if v.is_empty() {
        return Err(DerError::EmptyInteger);
    }
    // Allow a leading 0x00 pad before a high bit.
    let v = if v.len() == 5 && v.first() == Some(&0) { v.get(1..).unwrap_or_default() } else { v };
    if v.len() > 4 {
        return Err(DerError::IntegerTooLong(v.len()));
    }
    let negative = v.first().is_some_and(|b| b & 0x80 != 0) && tlv.value.len() <= 4;
    let init: u32 = if negative { u32::MAX } else { 0 };
    Ok(v.iter().fold(init, |acc, b| (acc << 8) | u32::from(*b)))
}

/// Encodes a DER length.
pub fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let used = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | used.len() as u8);
        out.extend_from_slice(used);
    }
}

/// Encodes a TLV.
pub fn write_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    write_len(out, value.len());
    out.extend_from_slice(value);
}

/// Encodes a non-negative INTEGER (minimal form).
pub fn write_integer(out: &mut Vec<u8>, v: u32) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    let mut value: Vec<u8> = bytes.get(skip..).unwrap_or_default().to_vec();
    if value.first().is_some_and(|b| b & 0x80 != 0) {
        value.insert(0, 0);
    }
    write_tlv(out, 0x02, &value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        assert_eq!(read_tlv(&[0x04, 0x02, 0xaa, 0xbb]), Ok(Some(Tlv { tag: 4, value: &[0xaa, 0xbb], len: 4 })));
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(0u8, 0x80));
        assert_eq!(read_tlv(&long).map(|t| t.map(|t| t.value.len())), Ok(Some(0x80)));
        assert_eq!(read_tlv(&long[..long.len() - 1]), Ok(None));
        assert_eq!(read_tlv(&[0x30, 0x80]), Err(DerError::Indefinite));
        assert_eq!(read_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]), Err(DerError::LengthTooLong(5)));
    }

    #[test]
    fn integers() {
        let mut out = Vec::new();
        write_integer(&mut out, 6);
        assert_eq!(out, [0x02, 0x01, 0x06]);
        out.clear();
        write_integer(&mut out, 0xC000_006D);
        assert_eq!(out, [0x02, 0x05, 0x00, 0xc0, 0x00, 0x00, 0x6d]);
        let tlv = read_tlv(&out).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(integer_u32(&tlv), Ok(0xC000_006D));
        // Negative form as Windows encodes NTSTATUS: 4 bytes with the high bit set.
        let neg = [0x02, 0x04, 0xc0, 0x00, 0x00, 0x6d];
        let tlv = read_tlv(&neg).ok().flatten().unwrap_or_else(|| unreachable!());
        assert_eq!(integer_u32(&tlv), Ok(0xC000_006D));
    }
}
