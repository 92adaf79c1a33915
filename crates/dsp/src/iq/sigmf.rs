//! The SigMF metadata fields a receiver needs: `global.core:datatype`, `global.core:sample_rate` and
//! `captures[0].core:frequency`. [`Meta::parse`] is total on any input string (a fuzz target).
//!
//! We read these three fields with `serde_json` instead of taking a SigMF crate: the `sigmf` crate parses
//! metadata only and the more complete `wcsng-sigmf` needs a newer toolchain than the workspace's.

use serde_json::Value;

use super::IqFormat;

/// The SigMF metadata of a recording, reduced to what the receiver uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// `global.core:datatype`.
    pub format: IqFormat,
    /// `global.core:sample_rate` in Hz (optional in SigMF).
    pub sample_rate: Option<f64>,
    /// `captures[0].core:frequency` in Hz (optional in SigMF).
    pub center_freq: Option<f64>,
    /// `global.core:description`, when present.
    pub description: Option<String>,
}

/// What is wrong with a metadata document.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// Not JSON.
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A required field is missing.
    #[error("missing field {0}")]
    Missing(&'static str),
    /// A field has the wrong JSON type or an impossible value.
    #[error("field {field} is invalid: {value}")]
    Invalid {
        /// The field, e.g. `global.core:sample_rate`.
        field: &'static str,
        /// The offending value, as JSON.
        value: String,
    },
    /// A datatype we do not read (big-endian, real-valued, 64-bit…).
    #[error("global.core:datatype {0:?} is not supported (expected cf32_le, ci16_le, ci8 or cu8)")]
    Datatype(String),
}

impl Meta {
    /// Parses a `.sigmf-meta` document.
    ///
    /// # Errors
    ///
    /// [`MetaError::Json`] for bad JSON, [`MetaError::Missing`] without `global.core:datatype`,
    /// [`MetaError::Datatype`] for a datatype we do not read, [`MetaError::Invalid`] for a sample rate or
    /// frequency that is not a finite number (or a sample rate that is not positive).
    pub fn parse(text: &str) -> Result<Meta, MetaError> {
        let doc: Value = serde_json::from_str(text)?;
        let global = doc.get("global").ok_or(MetaError::Missing("global"))?;
        let datatype = global
            .get("core:datatype")
            .ok_or(MetaError::Missing("global.core:datatype"))?;
        let datatype = datatype.as_str().ok_or_else(|| MetaError::Invalid {
            field: "global.core:datatype",
            value: datatype.to_string(),
        })?;
        // SigMF writes 8-bit types without an endianness suffix; 16/32-bit ones must be little-endian.
        let format = match datatype {
            "cf32_le" => IqFormat::Cf32,
            "ci16_le" => IqFormat::Ci16,
            "ci8" | "ci8_le" => IqFormat::Ci8,
            "cu8" | "cu8_le" => IqFormat::Cu8,
            other => return Err(MetaError::Datatype(other.to_owned())),
        };
        let sample_rate = number(global.get("core:sample_rate"), "global.core:sample_rate")?;
        if let Some(r) = sample_rate {
            if r <= 0.0 {
                return Err(MetaError::Invalid {
                    field: "global.core:sample_rate",
                    value: r.to_string(),
                });
            }
        }
        let first_capture = doc
            .get("captures")
            .and_then(Value::as_array)
            .and_then(|c| c.first());
        let center_freq = number(
            first_capture.and_then(|c| c.get("core:frequency")),
            "captures[0].core:frequency",
        )?;
        let description = global
            .get("core:description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Meta {
            format,
            sample_rate,
            center_freq,
            description,
        })
    }
}

fn number(v: Option<&Value>, field: &'static str) -> Result<Option<f64>, MetaError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(MetaError::Invalid {
                field,
                value: v.to_string(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_fields() {
        // The shape of the Mavic Air 2 recording's metadata (shared/data/ocusync/mavic_air_2.sigmf-meta).
        let m = Meta::parse(
            r#"{"annotations":[],"captures":[{"core:sample_start":0,"core:frequency":2457500000.0}],
                "global":{"core:version":"1.1.0","core:datatype":"cf32_le","core:sample_rate":50000000}}"#,
        )
        .unwrap();
        assert_eq!(m.format, IqFormat::Cf32);
        assert_eq!(m.sample_rate, Some(50e6));
        assert_eq!(m.center_freq, Some(2457.5e6));
    }

    #[test]
    fn errors_name_the_field() {
        let cases: &[(&str, &str)] = &[
            ("nope", "not valid JSON"),
            ("{}", "missing field global"),
            (r#"{"global":{}}"#, "missing field global.core:datatype"),
            (
                r#"{"global":{"core:datatype":"cf32_be"}}"#,
                "\"cf32_be\" is not supported",
            ),
            (
                r#"{"global":{"core:datatype":7}}"#,
                "global.core:datatype is invalid",
            ),
            (
                r#"{"global":{"core:datatype":"ci8","core:sample_rate":"x"}}"#,
                "global.core:sample_rate is invalid",
            ),
            (
                r#"{"global":{"core:datatype":"ci8","core:sample_rate":-1}}"#,
                "global.core:sample_rate is invalid",
            ),
            (
                r#"{"global":{"core:datatype":"cu8"},"captures":[{"core:frequency":[]}]}"#,
                "captures[0].core:frequency is invalid",
            ),
        ];
        for (text, want) in cases {
            let e = Meta::parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn optional_fields_may_be_absent() {
        let m = Meta::parse(r#"{"global":{"core:datatype":"ci8"},"captures":[]}"#).unwrap();
        assert_eq!(
            (m.format, m.sample_rate, m.center_freq),
            (IqFormat::Ci8, None, None)
        );
    }
}
