//! Golden decoding of every real capture (filled in once the wire walkers land).
