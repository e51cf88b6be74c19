//! Walking a cursor-paginated list as a stream.
//!
//! Every operation whose spec takes a `cursor` query parameter and answers
//! with a list whose `meta` carries `next_cursor` gets `by_page()` and
//! `by_item()` on its builder (generated; see `codegen/src/pages.rs`). They
//! all run on [`walk`] here:
//!
//! - lazy: a page is requested only when the caller reaches it, and only one
//!   page is held at a time;
//! - every page request is an ordinary `send()` (retries, budget, tracing);
//! - the walk ends when `has_more` is false or `next_cursor` is absent or
//!   empty; a cursor seen twice, or `has_more` without a cursor, ends it with
//!   [`ErrorKind::UnexpectedResponse`](crate::ErrorKind) instead of looping;
//! - an error ends the walk; [`Error::page_cursor`](crate::Error::page_cursor)
//!   is where to start again.

use std::collections::HashSet;
use std::future::Future;

use futures::{Stream, TryStreamExt, stream};
use progenitor_client::ResponseValue;

use crate::Error;

/// A page of a cursor-paginated list (implemented for every list response
/// type of the spec).
pub trait ListPage: Send {
    /// One entry of the list.
    type Item: Send;
    /// `meta.has_more`, if the page says.
    fn has_more(&self) -> Option<bool>;
    /// `meta.next_cursor`, if the page has one.
    fn next_cursor(&self) -> Option<&str>;
    /// The entries, in the order the API listed them.
    fn into_items(self) -> Vec<Self::Item>;
}

/// A list operation's builder: what [`walk`] needs from it (implemented by
/// the generated builders of every paginated operation).
pub trait ListCall<'a>: Clone + Send + 'a {
    /// The page type.
    type Page: ListPage + 'a;
    /// The `cursor` set on the builder: where the walk starts.
    fn start_cursor(&self) -> Option<String>;
    /// Send the request for one page (`cursor` replaces the builder's).
    fn fetch(
        self,
        cursor: Option<String>,
    ) -> impl Future<Output = Result<ResponseValue<Self::Page>, Error>> + Send + 'a;
}

/// Where the walk stands between pages.
enum Next {
    /// Request the page at this cursor (`None`: the builder's own).
    Fetch(Option<String>),
    /// The last page came back, but what it says next is wrong.
    Fail(Error),
    Done,
}

/// What a page says comes after it.
fn after(
    page: &impl ListPage,
    seen: &mut HashSet<String>,
    operation: &'static str,
) -> Result<Option<String>, Error> {
    let cursor = page.next_cursor().filter(|c| !c.is_empty());
    match (page.has_more(), cursor) {
        (Some(false), _) | (None, None) => Ok(None),
        (Some(true), None) => Err(Error::unexpected(
            operation,
            "the page says has_more but gives no next_cursor; stopped instead of guessing",
        )),
        (_, Some(c)) if !seen.insert(c.to_owned()) => Err(Error::unexpected(
            operation,
            format!("the API returned cursor {c:?} a second time; stopped so the walk cannot loop"),
        )),
        (_, Some(c)) => Ok(Some(c.to_owned())),
    }
}

/// Every page of `call`'s listing, from its own cursor on.
pub(crate) fn walk<'a, C: ListCall<'a>>(
    call: C,
    operation: &'static str,
) -> impl Stream<Item = Result<C::Page, Error>> + Send + Unpin + 'a {
    let start = call.start_cursor();
    let seen: HashSet<String> = start.iter().cloned().collect();
    // Boxed once per walk, so callers can `try_next()` without pinning.
    Box::pin(stream::unfold(
        (call, Next::Fetch(None), start, seen),
        move |(call, next, current, mut seen)| async move {
            let cursor = match next {
                Next::Done => return None,
                Next::Fail(e) => return Some((Err(e), (call, Next::Done, current, seen))),
                Next::Fetch(cursor) => cursor,
            };
            let page_cursor = cursor.clone().or(current);
            match call.clone().fetch(cursor).await {
                Err(e) => {
                    let e = e.with_page_cursor(page_cursor.clone());
                    Some((Err(e), (call, Next::Done, page_cursor, seen)))
                }
                Ok(answer) => {
                    let page = answer.into_inner();
                    let next = match after(&page, &mut seen, operation) {
                        Ok(Some(c)) => Next::Fetch(Some(c)),
                        Ok(None) => Next::Done,
                        Err(e) => Next::Fail(e.with_page_cursor(page_cursor.clone())),
                    };
                    Some((Ok(page), (call, next, page_cursor, seen)))
                }
            }
        },
    ))
}

/// Every item of every page, one page held at a time.
pub(crate) fn items<'a, C: ListCall<'a>>(
    call: C,
    operation: &'static str,
) -> impl Stream<Item = Result<<C::Page as ListPage>::Item, Error>> + Send + Unpin + 'a {
    walk(call, operation)
        .map_ok(|page| stream::iter(page.into_items().into_iter().map(Ok)))
        .try_flatten()
}
