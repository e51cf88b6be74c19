//! Whole tasks in one call, over the generated operations: protect a URL,
//! find a connector's resource, share a link and enter one.
//!
//! Each helper is a method on [`crate::Client`] (and the same on
//! [`crate::blocking::Client`]), says which calls it makes, and says why
//! repeating it is safe.

mod portal;
mod resources;

pub use portal::{Portal, PortalOptions};

#[cfg(feature = "blocking")]
mod blocking {
    use super::{Portal, PortalOptions};
    use crate::Error;
    use crate::types::{ResolveQurlData, ResourceData};

    /// The same helpers, blocking: each runs the async one on the client's runtime.
    impl crate::blocking::Client {
        /// See [`crate::Client::protect_url`].
        pub fn protect_url(&self, url: &str) -> Result<ResourceData, Error> {
            self.runtime.run(self.client.protect_url(url))
        }

        /// See [`crate::Client::connector_resource`].
        pub fn connector_resource(&self, slug: &str) -> Result<ResourceData, Error> {
            self.runtime.run(self.client.connector_resource(slug))
        }

        /// See [`crate::Client::create_portal`].
        pub fn create_portal(
            &self,
            resource_id: &str,
            options: PortalOptions,
        ) -> Result<Portal, Error> {
            self.runtime
                .run(self.client.create_portal(resource_id, options))
        }

        /// See [`crate::Client::create_portal_for_url`].
        pub fn create_portal_for_url(
            &self,
            url: &str,
            options: PortalOptions,
        ) -> Result<Portal, Error> {
            self.runtime
                .run(self.client.create_portal_for_url(url, options))
        }

        /// See [`crate::Client::enter_portal`].
        pub fn enter_portal(&self, link: &str) -> Result<ResolveQurlData, Error> {
            self.runtime.run(self.client.enter_portal(link))
        }
    }
}
