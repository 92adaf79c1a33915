//! Locates the real test data that lives outside the repository (`../shared/data` next to the checkout,
//! or the folder named by `SKYTRACE_DATA`).
//!
//! Golden tests call [`dir`] with the sub-folder they need. When the folder is missing the test says so
//! loudly on stderr and is skipped — except under `CI=true`, where a missing folder is a failure, so that
//! CI can never pass by silently testing nothing.

use std::path::PathBuf;

/// The environment variable that overrides the data folder.
pub const ENV: &str = "SKYTRACE_DATA";

/// The root of the shared data folder, whether or not it exists.
pub fn root() -> PathBuf {
    match std::env::var_os(ENV) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// The sub-folder `sub` of the shared data (for example `"remoteid"`), or `None` when it is missing.
///
/// # Panics
///
/// Panics when the folder is missing and the environment variable `CI` is `true`: real-data tests must
/// not pass vacuously in CI.
pub fn dir(sub: &str) -> Option<PathBuf> {
    let p = root().join(sub);
    if p.is_dir() {
        return Some(p);
    }
    let msg = format!(
        "REAL-DATA TEST SKIPPED: {} not found (set {ENV} to the shared data folder)",
        p.display()
    );
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!("{msg}; CI=true requires it");
    }
    eprintln!("\n!!!!!!!!!! {msg} !!!!!!!!!!\n");
    None
}

/// The file `sub/name` of the shared data, or `None` (see [`dir`]).
pub fn file(sub: &str, name: &str) -> Option<PathBuf> {
    let p = dir(sub)?.join(name);
    assert!(
        p.is_file(),
        "{} is missing from the shared data folder",
        p.display()
    );
    Some(p)
}
