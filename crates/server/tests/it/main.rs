//! Server tests: handlers through `app().oneshot(...)`, and end to end against a real server on 127.0.0.1.

mod common;
mod crash;
mod detail;
mod e2e;
mod handlers;
mod restart;
mod rules;
mod zones;
