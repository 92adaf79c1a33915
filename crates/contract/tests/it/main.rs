//! The detection contract: real captures through `from_detection`, JSON round trips, and the range checks
//! that protect the server's store.
mod golden;
mod validate;
