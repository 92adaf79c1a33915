//! Tells the crate whether the browser console has been built (`web/dist/index.html` exists).
//!
//! The console is built by npm, which CI and developers may run after cargo; the server must build either
//! way. With `cfg(console_built)` the files of `web/dist` are embedded (see `src/routes/console.rs`);
//! without it `/` serves a page that says how to build the console.

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(console_built)");
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let index = web.join("dist/index.html");
    if index.is_file() {
        println!("cargo::rustc-cfg=console_built");
        // A new console build rewrites index.html (it names the hashed assets).
        println!("cargo::rerun-if-changed={}", index.display());
    } else if web.is_dir() {
        // A path that does not exist would re-run this script (and rebuild the crate) on every build, so
        // watch the folder the build will appear in instead.
        println!("cargo::rerun-if-changed={}", web.display());
    } else {
        println!("cargo::rerun-if-changed=build.rs");
    }
}
