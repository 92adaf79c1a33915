//! Radio protocol codecs. `no_std` + `alloc`, no I/O, never panics on input.
#![no_std]
#![forbid(unsafe_code)]
extern crate alloc;
