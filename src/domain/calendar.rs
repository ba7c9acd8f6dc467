//! UTC calendar dates for tables, filters and exports.

use time::{Date, Month, OffsetDateTime};

/// `YYYY-MM-DD HH:MM` (UTC) of a unix time.
pub fn day(unix: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => "—".to_string(),
    }
}

/// `YYYY-MM-DD` (years 1 to 9999, real calendar days) → unix seconds at 00:00 UTC.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=9999).contains(&year) {
        return None;
    }
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// `2024-08-02T19:33:35Z` or `2021-10-17T05:04:22.404Z` (RFC 3339 in UTC, as PayPal writes
/// times) → unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let midnight = parse_date(date)?;
    let time = time.split('.').next()?;
    let mut parts = time.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let s: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(midnight + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paypal_times_read() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:10Z"), Some(10));
        assert_eq!(
            parse_rfc3339("2021-10-17T05:04:22.404Z"),
            Some(1_634_447_062)
        );
        assert_eq!(parse_rfc3339("2021-10-17T05:04:22+02:00"), None);
        assert_eq!(parse_rfc3339("2021-10-17T25:04:22Z"), None);
        assert_eq!(parse_rfc3339("garbage"), None);
    }

    #[test]
    fn days_print_in_utc() {
        assert_eq!(day(0), "1970-01-01 00:00");
        assert_eq!(day(1_795_219_200 + 3_600 * 13 + 60 * 5), "2026-11-21 13:05");
        assert_eq!(day(1_709_164_800), "2024-02-29 00:00");
    }

    #[test]
    fn dates_parse_to_midnight_utc() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-21"), Some(1_795_219_200));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800));
        for bad in [
            "",
            "2026-13-01",
            "2026-11",
            "2026-11-21-1",
            "x-1-1",
            "99999999999999-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn printing_a_parsed_date_gives_it_back() {
        for text in ["0001-01-01", "1999-12-31", "2000-02-29", "9999-12-31"] {
            let unix = parse_date(text).unwrap();
            assert_eq!(day(unix), format!("{text} 00:00"));
        }
    }
}
