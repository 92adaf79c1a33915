//! The domain: detections, tracks, identity binding, zones and alert rules.
