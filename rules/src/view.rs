//! What the interpreter reads of a body: its fields by JSON name, each seen
//! as absent, a string, an integer, a list, an object, or some other value.
//!
//! The sandbox hands it parsed JSON (`serde_json::Map` implements
//! [`Object`]); the client hands it its typed bodies, whose `Object`
//! implementations are generated from the spec, so a check costs a few
//! comparisons instead of a conversion of the whole body to JSON.

use serde_json::{Map, Value};

/// A JSON object as the rules see it.
pub trait Object {
    /// The field named `name` (its JSON name).
    fn get(&self, name: &str) -> Field<'_>;
    /// How many fields are set (present and not `null`).
    fn set_count(&self) -> usize;
}

/// A JSON array as the rules see it.
pub trait Items {
    fn count(&self) -> usize;
    /// Item `i` (`Field::Absent` past the end).
    fn item(&self, i: usize) -> Field<'_>;
    /// Items `i` and `j` are the same value (for `uniqueItems`).
    fn same(&self, i: usize, j: usize) -> bool;
}

/// One field's value, as far as any rule looks into it.
#[derive(Clone, Copy)]
pub enum Field<'a> {
    /// Missing, or `null` (the API treats an explicit `null` as absent).
    Absent,
    Str(&'a str),
    Int(i64),
    List(&'a dyn Items),
    Object(&'a dyn Object),
    /// Present, but no rule reads its value (a boolean, a fraction, a time).
    Other,
}

impl Field<'_> {
    pub fn is_present(&self) -> bool {
        !matches!(self, Field::Absent)
    }

    /// The value as JSON text, for messages.
    pub(crate) fn to_json(self) -> String {
        match self {
            Field::Str(s) => Value::from(s).to_string(),
            Field::Int(n) => n.to_string(),
            Field::Absent => "null".to_owned(),
            Field::List(_) | Field::Object(_) | Field::Other => "the value".to_owned(),
        }
    }
}

/// A value that can be seen as a [`Field`]: the leaves of a body (strings,
/// numbers, lists, options), and the generated body types.
pub trait AsField {
    fn as_field(&self) -> Field<'_>;

    /// The same value as `other` (for `uniqueItems`): strings and integers
    /// compare by value; anything else is taken as distinct unless a type
    /// knows better.
    fn same_as(&self, other: &Self) -> bool {
        match (self.as_field(), other.as_field()) {
            (Field::Str(a), Field::Str(b)) => a == b,
            (Field::Int(a), Field::Int(b)) => a == b,
            _ => false,
        }
    }
}

impl AsField for String {
    fn as_field(&self) -> Field<'_> {
        Field::Str(self)
    }
}

impl AsField for bool {
    fn as_field(&self) -> Field<'_> {
        Field::Other
    }
}

impl AsField for f64 {
    fn as_field(&self) -> Field<'_> {
        Field::Other
    }
}

impl AsField for f32 {
    fn as_field(&self) -> Field<'_> {
        Field::Other
    }
}

macro_rules! integer_fields {
    ($($t:ty),*) => {$(
        impl AsField for $t {
            fn as_field(&self) -> Field<'_> {
                // A value beyond i64 is beyond every bound the spec states.
                i64::try_from(*self).map_or(Field::Other, Field::Int)
            }
        }
    )*};
}

integer_fields!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

impl<T: AsField> AsField for Option<T> {
    fn as_field(&self) -> Field<'_> {
        self.as_ref().map_or(Field::Absent, AsField::as_field)
    }
}

impl<T: AsField> AsField for Vec<T> {
    fn as_field(&self) -> Field<'_> {
        Field::List(self)
    }
}

impl<T: AsField> Items for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }

    fn item(&self, i: usize) -> Field<'_> {
        self.get(i).map_or(Field::Absent, AsField::as_field)
    }

    fn same(&self, i: usize, j: usize) -> bool {
        match (self.get(i), self.get(j)) {
            (Some(a), Some(b)) => a.same_as(b),
            _ => false,
        }
    }
}

impl AsField for Value {
    fn as_field(&self) -> Field<'_> {
        match self {
            Value::Null => Field::Absent,
            Value::String(s) => Field::Str(s),
            Value::Number(n) => n.as_i64().map_or(Field::Other, Field::Int),
            Value::Array(items) => Field::List(items),
            Value::Object(map) => Field::Object(map),
            Value::Bool(_) => Field::Other,
        }
    }

    /// JSON equality, objects and lists included.
    fn same_as(&self, other: &Self) -> bool {
        self == other
    }
}

impl AsField for Map<String, Value> {
    fn as_field(&self) -> Field<'_> {
        Field::Object(self)
    }
}

impl Object for Map<String, Value> {
    fn get(&self, name: &str) -> Field<'_> {
        Map::get(self, name).map_or(Field::Absent, AsField::as_field)
    }

    fn set_count(&self) -> usize {
        self.values().filter(|v| !v.is_null()).count()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn show(f: Field<'_>) -> String {
        match f {
            Field::Absent => "absent".into(),
            Field::Str(s) => format!("str {s}"),
            Field::Int(n) => format!("int {n}"),
            Field::List(items) => format!("list of {}", items.count()),
            Field::Object(o) => format!("object of {}", o.set_count()),
            Field::Other => "other".into(),
        }
    }

    #[test]
    fn leaves_read_as_json_would() {
        assert_eq!(show("a".to_owned().as_field()), "str a");
        assert_eq!(show(7u8.as_field()), "int 7");
        assert_eq!(show((-7i32).as_field()), "int -7");
        assert_eq!(show(u64::MAX.as_field()), "other");
        assert_eq!(show(true.as_field()), "other");
        assert_eq!(show(1.5f64.as_field()), "other");
        assert_eq!(show(1.5f32.as_field()), "other");
        assert_eq!(show(None::<String>.as_field()), "absent");
        assert_eq!(show(Some(3i64).as_field()), "int 3");
        assert_eq!(show(vec![1u32, 2].as_field()), "list of 2");
        assert!(!Field::Absent.is_present());
        assert!(Field::Other.is_present());
    }

    #[test]
    fn json_values_read_as_fields() {
        let v = json!({"n": 5, "f": 0.5, "s": "x", "z": null, "b": false, "l": [1, 1], "o": {"a": 1, "b": null}});
        let Field::Object(o) = v.as_field() else {
            panic!("an object");
        };
        assert_eq!(o.set_count(), 6, "null is not set");
        let read: Vec<String> = ["n", "f", "s", "z", "b", "l", "o", "missing"]
            .iter()
            .map(|k| show(o.get(k)))
            .collect();
        assert_eq!(
            read,
            [
                "int 5",
                "other",
                "str x",
                "absent",
                "other",
                "list of 2",
                "object of 1",
                "absent"
            ]
        );
    }

    #[test]
    fn items_compare_by_value_and_json_by_json_equality() {
        let words = vec!["a".to_owned(), "b".to_owned(), "a".to_owned()];
        assert!(words.same(0, 2));
        assert!(!words.same(0, 1));
        assert!(!words.same(0, 9), "past the end is nothing");
        assert_eq!(show(words.item(1)), "str b");
        assert_eq!(show(words.item(3)), "absent");
        let numbers = vec![4u16, 4];
        assert!(numbers.same(0, 1));
        let flags = vec![true, true];
        assert!(
            !flags.same(0, 1),
            "values no rule reads are taken as distinct"
        );
        let objects = vec![json!({"a": 1}), json!({"a": 1}), json!({"a": 2})];
        assert!(objects.same(0, 1));
        assert!(!objects.same(0, 2));
    }

    #[test]
    fn values_in_messages_are_json() {
        assert_eq!(Field::Str("a\"b").to_json(), r#""a\"b""#);
        assert_eq!(Field::Int(-3).to_json(), "-3");
        assert_eq!(Field::Absent.to_json(), "null");
        assert_eq!(Field::Other.to_json(), "the value");
    }
}
