//! The skytrace server (being written).
