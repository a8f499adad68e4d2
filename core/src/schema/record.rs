//! The `record!` macro, and the key index its readers dispatch on.

/// The position of `key` in `keys` (its length when absent), for `record!`.
#[allow(clippy::indexing_slicing)]
pub(crate) const fn index_of(keys: &[&str], key: &str) -> usize {
    let mut i = 0;
    while i < keys.len() {
        let (a, b) = (keys[i].as_bytes(), key.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    keys.len()
}

/// Declare a record of documented fields, all optional. Field names are the
/// payload's own keys unless renamed with `= "key"`; the field's type is its
/// documented JSON type ([`Read`](super::read::Read)), or `as Reader` reads it another way.
/// An `@extra { ... }` block adds members that are not payload fields.
/// Each field has one doc line, which the field table keeps (see
/// [`table`](super::table)); `= "Name"` after the record's name names its
/// class in the other languages.
macro_rules! record {
    (
        #[doc = $doc:literal]
        $(#[$meta:meta])*
        $vis:vis struct $name:ident $(= $api_name:literal)? {
            $( @extra { $( $(#[$extra_meta:meta])* $extra_vis:vis $extra:ident : $extra_ty:ty ),* $(,)? } )?
            $( #[doc = $field_doc:literal] $field:ident $(= $key:literal)? : $ty:ty $(as $reader:ty)? ),* $(,)?
        }
    ) => {
        #[doc = $doc]
        $(#[$meta])*
        ///
        /// Each field is read by its accessor (`record.email()`), `None`
        /// when the payload left it out, sent `null` or sent a value that
        /// does not convert (see the mismatches). The record holds its body
        /// once: a string field is a range of it, so building and dropping
        /// a record costs no reference count a field.
        #[derive(Clone, Default)]
        #[non_exhaustive]
        $vis struct $name {
            $( $( $(#[$extra_meta])* $extra_vis $extra: $extra_ty, )* )?
            /// The body the string fields' spans lie in.
            pub(crate) source: $crate::text::Body,
            $( pub(crate) $field: Option<<$ty as $crate::schema::table::Access>::Slot>, )*
        }

        impl $name {
            $(
                #[doc = $field_doc]
                #[inline]
                pub fn $field(&self) -> Option<<$ty as $crate::schema::table::Access>::Out<'_>> {
                    let body = self.source.text();
                    self.$field
                        .as_ref()
                        .map(|slot| <$ty as $crate::schema::table::Access>::get(slot, body))
                }
            )*

            /// The fields as stored, for a binding (see [`Slots`](crate::schema::table::Slots)).
            #[doc(hidden)]
            pub fn slots(&mut self) -> $crate::schema::table::Slots<'_, Self> {
                $crate::schema::table::Slots(self)
            }
        }

        impl $crate::schema::table::Slots<'_, $name> {
            $(
                #[doc = $field_doc]
                pub fn $field(&mut self) -> &mut Option<<$ty as $crate::schema::table::Access>::Slot> {
                    &mut self.0.$field
                }
            )*
        }

        impl $crate::schema::table::Access for $name {
            type Slot = Self;
            type Out<'a> = &'a Self;
            #[inline]
            fn get<'a>(slot: &'a Self, _: &'a str) -> &'a Self {
                slot
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    $( $( .field(stringify!($extra), &self.$extra) )* )?
                    $( .field(stringify!($field), &self.$field()) )*
                    .finish()
            }
        }

        /// Equal when every member reads the same (wherever the strings lie).
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                true $( $( && self.$extra == other.$extra )* )? $( && self.$field() == other.$field() )*
            }
        }

        /// As the record reads: each field by its payload key, `null` when
        /// it reads as none; a payload's type first.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct as _;
                let members = Self::KEYS.len() $( $( + record!(@serialized $extra) )* )?;
                let mut out = serializer.serialize_struct(stringify!($name), members)?;
                $( $( record!(@serialize out self $extra); )* )?
                $( out.serialize_field(record!(@key $field $($key)?), &self.$field())?; )*
                out.end()
            }
        }

        impl $crate::schema::table::Record for $name {
            const TABLE: &'static $crate::schema::table::RecordTable = &$crate::schema::table::RecordTable {
                name: stringify!($name),
                api_name: record!(@key $name $($api_name)?),
                doc: $doc,
                payload: record!(@payload $( $($extra)* )?),
                fields: &[ $( $crate::schema::table::Field {
                    name: stringify!($field),
                    key: record!(@key $field $($key)?),
                    json_type: <$ty as $crate::schema::table::FieldType>::JSON_TYPE,
                    kind: <$ty as $crate::schema::table::FieldType>::KIND,
                    doc: $field_doc,
                } ),* ],
            };
        }

        impl $crate::schema::table::FieldType for $name {
            const KIND: $crate::schema::table::FieldKind = $crate::schema::table::FieldKind::Record(
                <$name as $crate::schema::table::Record>::TABLE,
            );
            const JSON_TYPE: $crate::schema::mismatch::JsonType = $crate::schema::mismatch::JsonType::Object;
        }

        impl $name {
            /// The documented keys, in declaration order.
            pub(crate) const KEYS: &'static [&'static str] = &[ $( record!(@key $field $($key)?) ),* ];

            /// At `{`: read every member into `out` (none when only
            /// checked); keys that are not documented go to `other`, which
            /// must consume the value.
            #[allow(dead_code)]
            pub(crate) fn read_members<const BUILD: bool>(
                r: &mut $crate::schema::reader::Reader<'_>,
                out: Option<&mut Self>,
                other: impl FnMut(&mut $crate::schema::reader::Reader<'_>, &[u8]) -> Result<(), $crate::scan::Invalid>,
            ) -> Result<(), $crate::scan::Invalid> {
                #[cfg(not(target_arch = "wasm32"))]
                {
                    let more = r.enter_record()?;
                    Self::members_from::<BUILD>(r, more, out, other)
                }
                #[cfg(target_arch = "wasm32")]
                {
                    // Each key's position in KEYS, as a constant named after
                    // the field, so that the dispatch below is a jump on an
                    // index.
                    #[allow(non_upper_case_globals, dead_code)]
                    mod index {
                        $( pub(super) const $field: usize =
                            $crate::schema::record::index_of(super::$name::KEYS, record!(@key $field $($key)?)); )*
                    }
                    let (mut out, mut other) = (out, other);
                    let mut spans = $crate::schema::reader::Spans::new();
                    let mut next = 0;
                    r.members(|r, key| {
                        match $crate::schema::reader::search_key($name::KEYS, &mut next, key) {
                            $( Some(index::$field) => record!(@field r out spans $field [$($key)?] [$ty $(, $reader)?]), )*
                            _ => other(r, key),
                        }
                    })
                }
            }

            /// [`Self::read_members`] past the `{` and any members the
            /// caller read first (`more`: whether one follows): natively
            /// the documented order first, one step a field (see
            /// `Reader::enter_record`), then any member left.
            #[cfg(not(target_arch = "wasm32"))]
            #[allow(dead_code)]
            #[inline(always)]
            pub(crate) fn members_from<const BUILD: bool>(
                r: &mut $crate::schema::reader::Reader<'_>,
                mut more: bool,
                mut out: Option<&mut Self>,
                mut other: impl FnMut(&mut $crate::schema::reader::Reader<'_>, &[u8]) -> Result<(), $crate::scan::Invalid>,
            ) -> Result<(), $crate::scan::Invalid> {
                // Each key's position in KEYS, as a constant named after the
                // field, for the dispatch of the members left.
                #[allow(non_upper_case_globals, dead_code)]
                mod index {
                    $( pub(super) const $field: usize =
                        $crate::schema::record::index_of(super::$name::KEYS, record!(@key $field $($key)?)); )*
                }
                let mut spans = $crate::schema::reader::Spans::new();
                {
                    $( if more && r.expected_member(concat!("\"", record!(@key $field $($key)?), "\":")) {
                        // The common string inline; anything else by the call.
                        if !<record!(@reader $ty $(, $reader)?) as $crate::schema::read::Read>::read_plain::<BUILD>(
                            r,
                            out.as_mut().map(|out| &mut out.$field),
                            &spans,
                        ) {
                            record!(@field r out spans $field [$($key)?] [$ty $(, $reader)?])?;
                        }
                        more = r.scanner.after(b'}')?;
                    } )*
                    r.rest_members(more, $name::KEYS, |r, found, key| {
                        match found {
                            $( Some(index::$field) => record!(@field r out spans $field [$($key)?] [$ty $(, $reader)?]), )*
                            _ => other(r, key),
                        }
                    })
                }
            }
        }

        impl $crate::schema::read::Read for $name {
            type Output = Self;
            fn read<const BUILD: bool>(
                r: &mut $crate::schema::reader::Reader<'_>,
                kind: $crate::scan::Kind,
            ) -> Result<Option<Self>, $crate::scan::Invalid> {
                if kind != $crate::scan::Kind::Object {
                    return r.wrong($crate::schema::mismatch::JsonType::Object, kind);
                }
                if !BUILD {
                    Self::read_members::<BUILD>(r, None, $crate::schema::reader::skip_member)?;
                    return Ok(None);
                }
                let mut out = Self::default();
                out.source = r.body();
                Self::read_members::<BUILD>(r, Some(&mut out), $crate::schema::reader::skip_member)?;
                Ok(Some(out))
            }

            fn read_into<const BUILD: bool>(
                r: &mut $crate::schema::reader::Reader<'_>,
                kind: $crate::scan::Kind,
                slot: Option<&mut Option<Self>>,
            ) -> Result<(), $crate::scan::Invalid> {
                if !BUILD {
                    // Only checked: a record's values are never kept (nor
                    // returned, which would copy a large `None`).
                    if kind != $crate::scan::Kind::Object {
                        return r.wrong::<()>($crate::schema::mismatch::JsonType::Object, kind).map(drop);
                    }
                    return Self::read_members::<BUILD>(r, None, $crate::schema::reader::skip_member);
                }
                match slot {
                    Some(slot) if kind == $crate::scan::Kind::Object => {
                        let out = slot.insert(Self::default());
                        out.source = r.body();
                        Self::read_members::<BUILD>(r, Some(out), $crate::schema::reader::skip_member)
                    }
                    slot => {
                        let value = Self::read::<BUILD>(r, kind)?;
                        if let Some(slot) = slot {
                            *slot = value;
                        }
                        Ok(())
                    }
                }
            }
        }
    };
    // A documented field's read, into its slot of `out`, if any.
    (@field $r:ident $out:ident $spans:ident $field:ident [$($key:literal)?] [$($reader:tt)*]) => {
        $r.field::<record!(@reader $($reader)*), BUILD>(
            record!(@key $field $($key)?),
            index::$field,
            $out.as_mut().map(|out| &mut out.$field),
            &mut $spans,
        )
    };
    // Which members beside the fields a payload serializes: its type.
    (@serialized event_type) => { 1 };
    (@serialized $extra:ident) => { 0 };
    (@serialize $out:ident $record:ident event_type) => {
        $out.serialize_field("event_type", &$record.event_type)?
    };
    (@serialize $out:ident $record:ident $extra:ident) => { () };
    (@payload) => { false };
    (@payload $($extra:ident)+) => { true };
    (@key $field:ident $key:literal) => { $key };
    (@key $field:ident) => { stringify!($field) };
    (@reader $ty:ty, $reader:ty) => { $reader };
    (@reader $ty:ty) => { $ty };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Visitor;
    use crate::schema::reader::search_key;

    #[test]
    fn keys_are_found_in_any_order_from_any_hint() {
        let keys = Visitor::KEYS;
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(index_of(keys, key), i);
        }
        assert_eq!(index_of(keys, "nope"), keys.len());
        for start in 0..=keys.len() + 1 {
            let mut next = start;
            for (i, key) in keys.iter().enumerate().rev().chain(keys.iter().enumerate()) {
                assert_eq!(
                    search_key(keys, &mut next, key.as_bytes()),
                    Some(i),
                    "{key} from {start}"
                );
                assert_eq!(next, i + 1);
            }
            assert_eq!(search_key(keys, &mut next, b"nope"), None);
        }
    }
}
