//! No-panic properties.
