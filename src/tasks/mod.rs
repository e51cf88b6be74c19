//! Whole tasks in one call, over the generated operations: protect a URL,
//! find a connector's resource, share a link and enter one.
//!
//! Each helper is a method on [`crate::Client`] (and the same on
//! [`crate::blocking::Client`]), says which calls it makes, and says why
//! repeating it is safe.

mod portal;
mod resources;

pub use portal::{Portal, PortalOptions};
