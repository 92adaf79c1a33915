//! What the ingest parser refuses, and how it names the field.

use contract::DetectionLine;

fn err(line: &str) -> (String, String) {
    let e = DetectionLine::parse(line).expect_err("must be refused");
    (e.field, e.reason)
}

const GOOD: &str = r#"{"time":"2024-07-06T19:31:00Z","frame":1,"transport":"wifi-beacon","mac":"02:45:6d:ff:dd:dc","messages":[{"type":"location","lat":55.0,"lon":10.0},{"type":"system","operator_lat":55.1,"operator_lon":10.1}]}"#;

#[test]
fn accepts_a_good_line() {
    let l = DetectionLine::parse(GOOD).unwrap();
    assert_eq!(l.messages.len(), 2);
    assert_eq!(l.time.unix_timestamp(), 1_720_294_260);
}

#[test]
fn names_the_field_out_of_range() {
    let cases = [
        (
            GOOD.replace("\"lat\":55.0", "\"lat\":95.0"),
            "messages[0].lat",
        ),
        (
            GOOD.replace("\"operator_lon\":10.1", "\"operator_lon\":-180.5"),
            "messages[1].operator_lon",
        ),
        (GOOD.replace("wifi-beacon", "carrier-pigeon"), "transport"),
        (GOOD.replace("02:45:6d:ff:dd:dc", "02:45:6d:ff:dd"), "mac"),
        (GOOD.replace("\"frame\":1", "\"frame\":0"), "frame"),
    ];
    for (line, field) in cases {
        assert_eq!(err(&line).0, field, "{line}");
    }
}

#[test]
fn malformed_json_names_line_and_column() {
    let (field, reason) = err(r#"{"time":"2024-07-06T19:31:00Z","frame":1,"#);
    assert!(field.contains("column"), "{field}");
    assert!(!reason.is_empty());
    let (field, _) = err(r#"{"time":"yesterday","frame":1,"transport":"wifi-nan","messages":[]}"#);
    assert_eq!(field, "time");
    // Messages are tagged by `type`, so serde buffers them: the path names the message, the reason the
    // value.
    let (field, reason) = err(
        r#"{"time":"2024-07-06T19:31:00Z","frame":1,"transport":"wifi-nan","messages":[{"type":"location","lat":"north"}]}"#,
    );
    assert_eq!(field, "messages[0]");
    assert!(reason.contains("\"north\""), "{reason}");
}

#[test]
fn unknown_message_type_is_refused_unknown_fields_are_not() {
    let unknown_type = GOOD.replace("\"type\":\"location\"", "\"type\":\"teleport\"");
    assert!(DetectionLine::parse(&unknown_type).is_err());
    let extra = GOOD.replace("\"frame\":1", "\"frame\":1,\"sensor_note\":\"roof\"");
    assert!(DetectionLine::parse(&extra).is_ok());
}
