//! JSON output as a tree, serialized by serde_json (escaping, structure);
//! numbers are kept as their exact decimal text, so a `long double` or an
//! `__int128` is printed with all its digits.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;

/// A JSON document.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as its JSON text (`-3`, `0.5`, `1.0000000000000000001`, `1e4000`).
    Num(String),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, members in order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// The compact JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()))
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Num(text) => {
                // Checked to be a JSON number by serde_json's parser.
                let raw = RawValue::from_string(text.clone()).map_err(serde::ser::Error::custom)?;
                if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                    return Err(serde::ser::Error::custom(format!("`{text}` is not a JSON number")));
                }
                raw.serialize(s)
            }
            Json::Str(t) => s.serialize_str(t),
            Json::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Json::Obj(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_are_valid_json() {
        let doc = Json::Obj(vec![
            (
                "return".into(),
                Json::Obj(vec![
                    ("a".into(), Json::Num("1".into())),
                    ("s".into(), Json::Obj(vec![("x".into(), Json::Num("7".into()))])),
                ]),
            ),
            ("out".into(), Json::Arr(vec![])),
            ("q\"".into(), Json::Str("\u{e9}\n".into())),
        ]);
        let text = doc.to_text();
        assert_eq!(
            text,
            "{\"return\":{\"a\":1,\"s\":{\"x\":7}},\"out\":[],\"q\\\"\":\"\u{e9}\\n\"}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["return"]["s"]["x"], 7);
    }
}
