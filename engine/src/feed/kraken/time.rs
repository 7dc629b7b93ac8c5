//! Kraken's times: v2 RFC 3339 strings (`"2023-10-06T17:35:55.440295Z"`) and v1 fractional
//! Unix seconds (`"1618678117.243818"`), both to nanoseconds, exactly (never through `f64`).

/// `"1618678117.243818"` (seconds, up to 9 decimals) in nanoseconds.
pub fn epoch_nanos(text: &[u8]) -> Option<u64> {
    let (secs, frac) = match text.iter().position(|&b| b == b'.') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, &b""[..]),
    };
    if secs.is_empty() || frac.len() > 9 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in secs.iter().chain(frac) {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    let pad = 9 - frac.len() as u32;
    v.checked_mul(10u64.pow(pad))
}

/// `"2023-10-06T17:35:55.440295Z"` (UTC, up to 9 decimals of a second) in nanoseconds since
/// the Unix epoch.
pub fn rfc3339_nanos(text: &[u8]) -> Option<u64> {
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let b = text.get(r)?;
        b.iter().try_fold(0u64, |v, &c| {
            c.is_ascii_digit().then(|| v * 10 + u64::from(c - b'0'))
        })
    };
    let sep = |i: usize, c: u8| text.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let rest = text.get(19..)?;
    let rest = rest.strip_suffix(b"Z")?;
    let nanos = match rest.split_first() {
        None => 0,
        Some((b'.', frac)) if !frac.is_empty() && frac.len() <= 9 => {
            let v = frac.iter().try_fold(0u64, |v, &c| {
                c.is_ascii_digit().then(|| v * 10 + u64::from(c - b'0'))
            })?;
            v * 10u64.pow(9 - frac.len() as u32)
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm), years from 1970 on.
    let (y, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    let secs = days * 86_400 + h * 3_600 + mi * 60 + sec;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}
