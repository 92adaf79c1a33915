//! Integration tests of the OcuSync receiver, one module per area.
mod fec;
mod receiver;
