//! Test instrumentation (feature `failpoints`, never in release builds): points where a
//! test can make the server hold a resource for a while, to show what waits on it.

/// With `PROVENANT_TEST_HOLD=NAME:MILLISECONDS`, sleeps that long at the point `name`.
#[cfg(feature = "failpoints")]
pub fn hold(name: &str) {
    let Ok(spec) = std::env::var("PROVENANT_TEST_HOLD") else {
        return;
    };
    if let Some(ms) = spec
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|ms| ms.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Without the `failpoints` feature a hold point is nothing at all.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hold(_name: &str) {}
