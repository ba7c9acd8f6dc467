//! The domain's enums are stored as their snake_case names in TEXT columns on both backends.
//! `#[derive(sqlx::Type)]` gives each one its encoding (as text, for any driver) but its type
//! and decoding only per concrete driver; these give them to sqlx's `Any` driver. A name is
//! read back through the enum's serde names (the same snake_case), so a value the code does not
//! know is a decode error, never a silent default.

use super::attempts::AttemptOutcome;
use super::orders::StockHold;
use crate::domain::fulfilment::FulfilmentStatus;
use crate::domain::gateway::Gateway;
use crate::domain::order::OrderStatus;
use crate::model::admin::TimelineKind;
use crate::model::emails::EmailStatus;
use sqlx::any::{Any, AnyTypeInfo};

macro_rules! stored_as_text {
    ($($ty:ty),* $(,)?) => {$(
        impl sqlx::Type<Any> for $ty {
            fn type_info() -> AnyTypeInfo {
                <str as sqlx::Type<Any>>::type_info()
            }
        }

        impl<'r> sqlx::Decode<'r, Any> for $ty {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                use serde::de::IntoDeserializer;
                let name = <&str as sqlx::Decode<'r, Any>>::decode(value)?;
                let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                    name.into_deserializer();
                Ok(<$ty as serde::Deserialize>::deserialize(de)?)
            }
        }
    )*};
}

stored_as_text!(
    OrderStatus,
    Gateway,
    FulfilmentStatus,
    TimelineKind,
    EmailStatus,
    StockHold,
    AttemptOutcome,
);

/// A value stored as JSON text (the order's state, its address and price breakdown, an
/// email's message): serialized on the way in, parsed on the way out, so a row that does not
/// parse is a decode error. TEXT on both backends, so the same SQL reads it on each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> sqlx::Type<Any> for Json<T> {
    fn type_info() -> AnyTypeInfo {
        <str as sqlx::Type<Any>>::type_info()
    }
}

impl<'q, T: serde::Serialize> sqlx::Encode<'q, Any> for Json<T> {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        let text = serde_json::to_string(&self.0)?;
        <String as sqlx::Encode<'q, Any>>::encode(text, buf)
    }
}

impl<'r, T: serde::de::DeserializeOwned> sqlx::Decode<'r, Any> for Json<T> {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&str as sqlx::Decode<'r, Any>>::decode(value)?;
        Ok(Json(serde_json::from_str(text)?))
    }
}

/// A yes/no column (`products.active`, `orders.oversold`, …): 0 or 1 in an integer column on
/// both backends, as SQLite has no boolean type. Bound as 0/1; read back from an integer, or
/// from a boolean that a comparison in the SQL gives on PostgreSQL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl sqlx::Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        use sqlx::any::AnyTypeInfoKind as Kind;
        matches!(
            ty.kind(),
            Kind::Bool | Kind::SmallInt | Kind::Integer | Kind::BigInt
        )
    }
}

impl<'q> sqlx::Encode<'q, Any> for Flag {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<'q, Any>>::encode(i64::from(self.0), buf)
    }
}

impl<'r> sqlx::Decode<'r, Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        use sqlx::any::AnyTypeInfoKind as Kind;
        use sqlx::ValueRef;
        if value.type_info().kind() == Kind::Bool {
            return Ok(Flag(<bool as sqlx::Decode<'r, Any>>::decode(value)?));
        }
        Ok(Flag(<i64 as sqlx::Decode<'r, Any>>::decode(value)? != 0))
    }
}
