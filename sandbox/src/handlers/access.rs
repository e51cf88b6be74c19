//! Getting in: `POST /v1/resolve` redeems an access token, access codes trade for a
//! fresh one-time link.

use axum::http::StatusCode;
use axum::http::header::USER_AGENT;

use super::minting::{TokenTerms, mint};
use super::{Answer, Call, find_mut, no_content};
use crate::events::emit;
use crate::ids;
use crate::problem::Problem;
use crate::rules::{DEFAULT_SESSION_SECS, parse_time};
use crate::shapes::{
    AccessCodeData, AccessGrant, CreateAccessCodeData, CreateAccessCodeRequest, QurlSummary,
    QurlSummaryStatus, RedeemAccessCodeData, RedeemAccessCodeRequest, ResolveQurlData,
    ResolveQurlRequest, WebhookEventType,
};
use crate::store::{AccessCode, Session, Store, Token, unique};
use crate::views::SRC_IP;

fn gone(code: &str, detail: &str) -> Problem {
    Problem::new(StatusCode::GONE, code, detail)
}

/// Why a token may not be used now, if it may not.
fn refusal(store: &Store, t: &Token, now: chrono::DateTime<chrono::Utc>) -> Option<Problem> {
    let resource_revoked = store
        .resources
        .get(&t.resource_id)
        .is_none_or(|r| r.revoked);
    match t.status(now) {
        QurlSummaryStatus::Revoked => {
            return Some(gone("token_revoked", "The access token was revoked"));
        }
        QurlSummaryStatus::Consumed => {
            return Some(gone(
                "token_consumed",
                "The one-time access token was already used",
            ));
        }
        QurlSummaryStatus::Expired => {
            return Some(gone("token_expired", "The access token has expired"));
        }
        _ if resource_revoked => return Some(gone("token_revoked", "The resource was revoked")),
        _ => {}
    }
    let admits = |ips: &Option<Vec<String>>| {
        ips.as_ref()
            .filter(|ips| !ips.is_empty()) // an empty list sets no rule
            .map(|ips| ips.iter().any(|ip| ip == SRC_IP))
    };
    let policy = t.access_policy.as_ref();
    if policy.and_then(|p| admits(&p.ip_denylist)) == Some(true)
        || policy.and_then(|p| admits(&p.ip_allowlist)) == Some(false)
    {
        return Some(Problem::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            format!("The access policy does not admit {SRC_IP}"),
        ));
    }
    let open = store
        .sessions
        .values()
        .filter(|s| s.token_id == t.id)
        .count();
    if t.max_sessions > 0 && open as i64 >= t.max_sessions {
        return Some(Problem::new(
            StatusCode::FORBIDDEN,
            "session_limit_reached",
            "Every session of this token is in use",
        ));
    }
    None
}

pub(crate) fn resolve(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: ResolveQurlRequest = call.body()?;
    let t = store
        .tokens
        .values()
        .find(|t| t.secret == req.access_token)
        .ok_or_else(|| Problem::not_found("No such access token"))?;
    let owner = store
        .resources
        .get(&t.resource_id)
        .map(|r| r.owner.clone())
        .unwrap_or_default();
    let tid = t.id.clone();
    if let Some(p) = refusal(store, t, call.now) {
        if p.status == StatusCode::FORBIDDEN {
            let data = QurlSummary::of(t, call.now);
            emit(
                store,
                &owner,
                WebhookEventType::QurlAccessDenied,
                &data,
                call.now,
            );
        }
        return Err(p);
    }
    let user_agent = call
        .headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let session = Session {
        id: ids::session_id(),
        resource_id: t.resource_id.clone(),
        token_id: tid.clone(),
        user_agent: user_agent.to_owned(),
        created_at: call.now,
    };
    store.sessions.insert(session.id.clone(), session);
    let t = store
        .tokens
        .get_mut(&tid)
        .ok_or_else(|| Problem::not_found("No such access token"))?;
    t.use_count += 1;
    let summary = QurlSummary::of(t, call.now);
    let (rid, one_time, expires_in) = (
        t.resource_id.clone(),
        t.one_time_use,
        t.session_duration.unwrap_or(DEFAULT_SESSION_SECS),
    );
    emit(
        store,
        &owner,
        WebhookEventType::QurlAccessed,
        &summary,
        call.now,
    );
    if one_time {
        emit(
            store,
            &owner,
            WebhookEventType::QurlTokenExhausted,
            &summary,
            call.now,
        );
    }
    let target_url = store
        .resources
        .get(&rid)
        .map(|r| r.target_url.clone())
        .unwrap_or_default();
    call.ok(ResolveQurlData {
        target_url: Some(target_url),
        resource_id: Some(rid),
        access_grant: Some(AccessGrant {
            expires_in: i64::try_from(expires_in).unwrap_or(i64::MAX),
            granted_at: call.now.into(),
            src_ip: SRC_IP.to_owned(),
        }),
    })
}

pub(crate) fn create_code(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: CreateAccessCodeRequest = call.body()?;
    // Only 400 is documented for a bad resource: an unknown one is a field error.
    let usable = store
        .resource_of(call.owner, &req.resource_id)
        .is_some_and(|r| !r.revoked && r.id == req.resource_id);
    if !usable {
        return Err(Problem::field(
            "validation_error",
            "resource_id",
            "must be an active resource of this account",
        ));
    }
    let id = unique(&store.access_codes, ids::access_code_id);
    let code = AccessCode {
        id: id.clone(),
        owner: call.owner.to_owned(),
        seq: store.next_seq(),
        code: ids::access_code(),
        resource_id: req.resource_id,
        name: req.name.unwrap_or_default(),
        max_uses: req.max_uses,
        use_count: 0,
        revoked: false,
        created_at: call.now,
        expires_at: req.expires_at.as_deref().and_then(parse_time),
    };
    let data = CreateAccessCodeData::of(&code);
    store.access_codes.insert(id.clone(), code);
    call.created(data, &call.url(&format!("/v1/access-codes/{id}")), 1)
}

pub(crate) fn list_codes(store: &mut Store, call: &Call<'_>) -> Answer {
    let mut codes: Vec<&AccessCode> = Store::owned(&store.access_codes, call.owner).collect();
    codes.sort_by_key(|c| std::cmp::Reverse(c.seq));
    call.ok(codes
        .into_iter()
        .map(AccessCodeData::of)
        .collect::<Vec<_>>())
}

pub(crate) fn revoke_code(store: &mut Store, call: &Call<'_>) -> Answer {
    find_mut(&mut store.access_codes, call.owner, call.path("id"))?.revoked = true;
    no_content()
}

/// Submissions faster than this look like bots.
const HUMAN_MS: i64 = 3000;

/// Bots (a filled honeypot, a too-fast submission) get a success that leads nowhere;
/// a real code mints a one-time link on its resource.
pub(crate) fn redeem(store: &mut Store, call: &Call<'_>) -> Answer {
    let req: RedeemAccessCodeRequest = call.body()?;
    if !req.honeypot.is_empty() || req.elapsed_ms.is_some_and(|ms| ms < HUMAN_MS) {
        let redirect_url = format!("https://qurl.link/#{}", ids::access_token());
        return call.ok(RedeemAccessCodeData {
            redirect_url: Some(redirect_url),
        });
    }
    let bad = |code: &str, message: &str| Problem::field(code, "code", message);
    let c = store
        .access_codes
        .values()
        .find(|c| c.code == req.code)
        .ok_or_else(|| bad("invalid_code", "is not a valid access code"))?;
    if c.revoked
        || store
            .resources
            .get(&c.resource_id)
            .is_none_or(|r| r.revoked)
    {
        return Err(bad("code_revoked", "was revoked"));
    }
    if c.expires_at.is_some_and(|at| at <= call.now) {
        return Err(bad("code_expired", "has expired"));
    }
    if c.max_uses > 0 && c.use_count >= c.max_uses {
        return Err(bad("code_exhausted", "has no uses left"));
    }
    let (id, rid) = (c.id.clone(), c.resource_id.clone());
    let one_time = TokenTerms {
        one_time_use: true,
        ..TokenTerms::default()
    };
    let tid = mint(store, &rid, &one_time, call.now)?;
    if let Some(c) = store.access_codes.get_mut(&id) {
        c.use_count += 1;
    }
    let redirect_url = store.tokens.get(&tid).map(Token::link).unwrap_or_default();
    let data = RedeemAccessCodeData {
        redirect_url: Some(redirect_url),
    };
    super::done(call.reply(StatusCode::OK, data), 1)
}
