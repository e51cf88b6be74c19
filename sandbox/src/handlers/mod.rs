//! The operations: [`handler`] maps every `operationId` of the spec to a function of
//! a few lines over the shared helpers here (lookups, envelopes, pagination). They
//! run inside the commit, on input the schema and the rules table already accepted.

use std::collections::HashMap;

use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::envelopes::Payload;
use crate::ids;
use crate::problem::Problem;
use crate::reply::{Page, Reply};
use crate::shapes::{ListMeta, Meta};
use crate::spec::Operation;
use crate::store::{Owned, Store};
use crate::validate::Input;

/// Result of a handler's work inside the critical section.
pub(crate) enum Outcome {
    /// Carried out; `created` counts new objects (qURL tokens, keys, resources, ...);
    /// `changed` is false when the request found what it asked for and changed nothing.
    Committed {
        reply: Reply,
        created: u64,
        changed: bool,
    },
    /// Nothing changed (a client error such as a conflict).
    Rejected(Reply),
}

/// A problem in the shape the operation documents for its status: problem+json,
/// except where the spec gives the status an `application/json` body of the
/// operation's own (the batch 400).
pub(crate) fn render(op: &Operation, p: Problem, instance: &str, request_id: &str) -> Reply {
    let media = op.statuses.get(&p.status.as_u16()).cloned().flatten();
    if media.as_deref() == Some("application/json") {
        return batch::batch_rejection(p, request_id);
    }
    p.into_reply(instance, request_id)
}

mod access;
mod account;
mod api_keys;
pub(crate) mod batch;
mod domains;
mod minting;
pub(crate) mod qurls;
mod resources;
mod webhooks;

/// What a handler gives back: the outcome to commit, or a problem.
pub(crate) type Answer = Result<Outcome, Problem>;

pub(crate) type Handler = fn(&mut Store, &Call<'_>) -> Answer;

/// One request, validated, as a handler sees it.
pub(crate) struct Call<'a> {
    pub op: &'static Operation,
    pub owner: &'a str,
    pub request_id: &'a str,
    pub input: &'a Input,
    pub headers: &'a HeaderMap,
    pub now: DateTime<Utc>,
    pub base_url: &'a str,
}

/// The handler of each operation of the spec (a unit test checks all 50 are here).
pub(crate) fn handler(operation_id: &str) -> Option<Handler> {
    Some(match operation_id {
        "resolveQurl" => access::resolve,
        "redeemAccessCode" => access::redeem,
        "createAccessCode" => access::create_code,
        "listAccessCodes" => access::list_codes,
        "revokeAccessCode" => access::revoke_code,
        "createQurl" => qurls::create,
        "listQurls" => qurls::list,
        "getQurl" => qurls::get,
        "deleteQurl" => qurls::delete,
        "updateQurl" => qurls::update,
        "mintLink" => qurls::mint_link,
        "batchCreateQurls" => batch::batch,
        "listResources" => resources::list,
        "createResource" => resources::create,
        "getResource" => resources::get,
        "updateResource" => resources::update,
        "deleteResource" => resources::delete,
        "createQurlForResource" => resources::create_qurl,
        "revokeResourceQurl" => resources::revoke_qurl,
        "updateResourceQurl" => resources::update_qurl,
        "listResourceSessions" => resources::sessions,
        "terminateAllResourceSessions" => resources::end_sessions,
        "terminateResourceSession" => resources::end_session,
        "listConnectorInstallations" => account::connectors,
        "getQuota" => account::quota,
        "getUsageCurrentPeriod" => account::usage_period,
        "getUsageDaily" => account::usage_daily,
        "getCustomer" => account::customer,
        "updateCustomer" => account::update_customer,
        "createBillingCheckout" => account::checkout,
        "createBillingPortal" => account::portal,
        "listBillingInvoices" => account::invoices,
        "registerDomain" => domains::register,
        "listDomains" => domains::list,
        "getDomain" => domains::get,
        "deleteDomain" => domains::delete,
        "verifyDomain" => domains::verify,
        "regenerateToken" => domains::regenerate_token,
        "listWebhooks" => webhooks::list,
        "createWebhook" => webhooks::create,
        "listWebhookEventTypes" => webhooks::event_types,
        "getWebhook" => webhooks::get,
        "updateWebhook" => webhooks::update,
        "deleteWebhook" => webhooks::delete,
        "regenerateWebhookSecret" => webhooks::rotate_secret,
        "listWebhookDeliveries" => webhooks::deliveries,
        "createApiKey" => api_keys::create,
        "listApiKeys" => api_keys::list,
        "updateApiKey" => api_keys::update,
        "revokeApiKey" => api_keys::revoke,
        _ => return None,
    })
}

/// Rows are paged by this key: (time or 0, creation sequence).
pub(crate) type SortKey = (i64, u64);

impl Call<'_> {
    /// A path parameter (the router guarantees the template's names).
    pub(crate) fn path(&self, name: &str) -> &str {
        self.input
            .path
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.input.query.get(name).and_then(Value::as_str)
    }

    /// The body as its request shape (generated from the same spec). The schema
    /// already accepted it, so a failure here means the shape and the schema
    /// disagree: answered as a 400, never a panic.
    pub(crate) fn body<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        serde_json::from_value(self.input.body.clone())
            .map_err(|e| Problem::invalid_request(format!("The request body does not fit: {e}")))
    }

    /// The raw body field, for the three-way `null` / absent / value fields.
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.input.body.get(name)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub(crate) fn reply(&self, status: StatusCode, data: impl Payload<Meta = Meta>) -> Reply {
        Reply::data(status, data, self.request_id)
    }

    /// 200 with the object (reads and changes alike).
    pub(crate) fn ok(&self, data: impl Payload<Meta = Meta>) -> Answer {
        done(self.reply(StatusCode::OK, data), 0)
    }

    /// 200 with an `ETag`; `304` when `If-None-Match` names it.
    pub(crate) fn ok_cached(&self, data: impl Payload<Meta = Meta>) -> Answer {
        done(self.reply(StatusCode::OK, data).cached(self.headers), 0)
    }

    /// 201 with `Location`; `created` new objects are counted.
    pub(crate) fn created(
        &self,
        data: impl Payload<Meta = Meta>,
        location: &str,
        created: u64,
    ) -> Answer {
        let reply = self
            .reply(StatusCode::CREATED, data)
            .header(LOCATION, location);
        done(reply, created)
    }

    /// 201 with `Location` for an object that already existed (a
    /// find-or-create that found): nothing was made or changed.
    pub(crate) fn found(&self, data: impl Payload<Meta = Meta>, location: &str) -> Answer {
        let reply = self
            .reply(StatusCode::CREATED, data)
            .header(LOCATION, location);
        Ok(Outcome::Committed {
            reply,
            created: 0,
            changed: false,
        })
    }

    /// One page of `rows` (sorted here by key, newest first unless `ascending`).
    /// The cursor carries `scope`, so it only continues the listing it came from.
    pub(crate) fn page<T>(
        &self,
        mut rows: Vec<(SortKey, T)>,
        ascending: bool,
        scope: &str,
    ) -> Result<Page<T>, Problem> {
        rows.sort_by(|a, b| {
            if ascending {
                a.0.cmp(&b.0)
            } else {
                b.0.cmp(&a.0)
            }
        });
        let limit = self
            .input
            .query
            .get("limit")
            .and_then(Value::as_u64)
            .unwrap_or(20) as usize;
        let scope = format!("{}|{scope}", self.op.id);
        // An empty cursor is the first page: listings end with `next_cursor: ""`.
        let after = match self.query("cursor").filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => match decode_cursor(c, &scope) {
                Some(key) => Some(key),
                None if self.op.documents(400) => {
                    return Err(Problem::invalid_request(
                        "cursor is not valid for this listing; restart without it",
                    ));
                }
                None => None,
            },
        };
        let start = after.map_or(0, |k| {
            rows.iter()
                .position(|r| if ascending { r.0 > k } else { r.0 < k })
                .unwrap_or(rows.len())
        });
        let mut items: Vec<(SortKey, T)> = rows.into_iter().skip(start).collect();
        let has_more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = match items.last() {
            Some((key, _)) if has_more => encode_cursor(*key, &scope),
            _ => String::new(),
        };
        Ok(Page {
            items: items.into_iter().map(|(_, v)| v).collect(),
            has_more,
            next_cursor,
        })
    }

    /// A page of the caller's records of one kind, newest first.
    pub(crate) fn list_owned<T: Owned, V>(
        &self,
        map: &HashMap<String, T>,
        view: impl Fn(&T) -> V,
    ) -> Answer
    where
        Vec<V>: Payload<Meta = ListMeta>,
    {
        let rows = Store::owned(map, self.owner)
            .map(|r| (by_seq(r.seq()), view(r)))
            .collect();
        self.list(rows, "")
    }

    /// The caller's record named by path parameter `param` (404 otherwise).
    pub(crate) fn show_owned<T: Owned, V: Payload<Meta = Meta>>(
        &self,
        map: &HashMap<String, T>,
        param: &str,
        view: impl Fn(&T) -> V,
    ) -> Answer {
        self.ok(view(find(map, self.owner, self.path(param))?))
    }

    /// A 200 list page with `ListMeta`.
    pub(crate) fn list<T>(&self, rows: Vec<(SortKey, T)>, scope: &str) -> Answer
    where
        Vec<T>: Payload<Meta = ListMeta>,
    {
        let page = self.page(rows, false, scope)?;
        done(Reply::page(page, self.request_id), 0)
    }
}

pub(crate) fn done(reply: Reply, created: u64) -> Answer {
    Ok(Outcome::Committed {
        reply,
        created,
        changed: true,
    })
}

pub(crate) fn no_content() -> Answer {
    done(Reply::no_content(), 0)
}

fn encode_cursor(key: SortKey, scope: &str) -> String {
    ids::hex_encode(&format!("{scope}|{}|{}", key.0, key.1))
}

fn decode_cursor(cursor: &str, scope: &str) -> Option<SortKey> {
    let text = ids::hex_decode(cursor)?;
    let rest = text.strip_prefix(scope)?.strip_prefix('|')?;
    let (a, b) = rest.split_once('|')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// The caller's record `id`, or 404.
pub(crate) fn find<'s, T: Owned>(
    map: &'s HashMap<String, T>,
    owner: &str,
    id: &str,
) -> Result<&'s T, Problem> {
    map.get(id)
        .filter(|r| r.owner() == owner)
        .ok_or_else(|| Problem::not_found(format!("No object with id `{id}`")))
}

/// Mutable [`find`].
pub(crate) fn find_mut<'s, T: Owned>(
    map: &'s mut HashMap<String, T>,
    owner: &str,
    id: &str,
) -> Result<&'s mut T, Problem> {
    map.get_mut(id)
        .filter(|r| r.owner() == owner)
        .ok_or_else(|| Problem::not_found(format!("No object with id `{id}`")))
}

/// Sort key by creation order only.
pub(crate) fn by_seq(seq: u64) -> SortKey {
    (0, seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::spec;

    #[test]
    fn every_operation_has_a_handler() {
        let missing: Vec<&str> = spec()
            .operations
            .iter()
            .filter(|o| handler(&o.id).is_none())
            .map(|o| o.id.as_str())
            .collect();
        assert!(missing.is_empty(), "no handler for {missing:?}");
    }

    #[test]
    fn cursors_belong_to_their_scope() {
        let c = encode_cursor((5, 7), "listQurls|a");
        assert_eq!(decode_cursor(&c, "listQurls|a"), Some((5, 7)));
        assert_eq!(decode_cursor(&c, "listQurls|b"), None);
        assert_eq!(decode_cursor("zz", "listQurls|a"), None);
    }
}
