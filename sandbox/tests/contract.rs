//! The contract test: a scripted walk through every operation of openapi.json
//! (create, read, list with cursors, update, delete, and the error paths each
//! documents). Every answer is checked against the spec's schema for its status and
//! media type, and the walk fails if an operation, or a documented status, was never
//! seen — apart from the few listed in `UNREACHABLE` with the reason.

use std::collections::BTreeSet;

use qurl_sandbox::Sandbox;
use qurl_sandbox::contract::{check_response, operations};
use reqwest::Method;
use serde_json::{Value, json};

const OWNER: &str = "lv_contract_owner";
const OTHER: &str = "lv_contract_other";

/// Documented statuses no request can provoke from the sandbox. 429 and 5xx come
/// only from fault injection (tests/faults.rs) and are not listed.
const UNREACHABLE: &[(&str, u16, &str)] = &[
    (
        "createQurl",
        403,
        "needs 1000 active qURLs (quota_exceeded)",
    ),
    ("mintLink", 403, "no per-resource token limit in the plan"),
    ("batchCreateQurls", 403, "needs 1000 active qURLs"),
    ("createResource", 403, "no plan limit on resources"),
    (
        "getQurl",
        400,
        "the id has no pattern and there are no query parameters",
    ),
    ("getWebhook", 400, "the id has no pattern"),
    ("deleteWebhook", 400, "the id has no pattern"),
    (
        "regenerateWebhookSecret",
        400,
        "the id has no pattern and there is no body",
    ),
    ("revokeAccessCode", 400, "the id has no pattern"),
    ("createWebhook", 403, "every plan may subscribe"),
    (
        "registerDomain",
        403,
        "the sandbox plays a plan with custom domains",
    ),
    (
        "createAccessCode",
        403,
        "every sandbox account is system-tier",
    ),
    (
        "listAccessCodes",
        403,
        "every sandbox account is system-tier",
    ),
    (
        "revokeAccessCode",
        403,
        "every sandbox account is system-tier",
    ),
    (
        "listApiKeys",
        403,
        "any lv_ token may manage keys here (no JWT check)",
    ),
    ("updateApiKey", 403, "any lv_ token may manage keys here"),
    ("revokeApiKey", 403, "any lv_ token may manage keys here"),
    (
        "getUsageCurrentPeriod",
        403,
        "any lv_ token may read usage here",
    ),
    ("getUsageDaily", 403, "any lv_ token may read usage here"),
    (
        "getCustomer",
        403,
        "any lv_ token may read the customer here",
    ),
    (
        "updateCustomer",
        403,
        "the sandbox plays the growth plan, which may set a cap",
    ),
    (
        "createBillingCheckout",
        403,
        "any lv_ token may open billing here",
    ),
    (
        "createBillingPortal",
        403,
        "any lv_ token may open billing here",
    ),
    (
        "listBillingInvoices",
        403,
        "any lv_ token may read invoices here",
    ),
];

struct Walk {
    http: reqwest::Client,
    base: String,
    /// (operationId, status) pairs seen, each already checked against the spec.
    seen: BTreeSet<(String, u16)>,
}

struct Answer {
    status: u16,
    body: Value,
    etag: Option<String>,
}

impl Walk {
    async fn send(
        &mut self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut rb = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let resp = rb.send().await.expect("request");
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (content_type, etag) = (header("content-type"), header("etag"));
        let bytes = resp.bytes().await.expect("body");
        let bare = path.split('?').next().unwrap_or(path);
        let op = check_response(
            method.as_str(),
            bare,
            status,
            content_type.as_deref(),
            &bytes,
        )
        .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", String::from_utf8_lossy(&bytes)));
        self.seen.insert((op, status));
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, body, etag }
    }

    /// A request as `OWNER` that must answer `expect`; returns the body.
    async fn expect(
        &mut self,
        expect: u16,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let a = self
            .send(Some(OWNER), method.clone(), path, body.as_ref(), &[])
            .await;
        assert_eq!(a.status, expect, "{method} {path}: {}", a.body);
        a.body
    }

    async fn get(&mut self, expect: u16, path: &str) -> Value {
        self.expect(expect, Method::GET, path, None).await
    }

    async fn post(&mut self, expect: u16, path: &str, body: Value) -> Value {
        self.expect(expect, Method::POST, path, Some(body)).await
    }

    async fn patch(&mut self, expect: u16, path: &str, body: Value) -> Value {
        self.expect(expect, Method::PATCH, path, Some(body)).await
    }

    async fn delete(&mut self, expect: u16, path: &str) -> Value {
        self.expect(expect, Method::DELETE, path, None).await
    }

    /// Pages through a list with `limit=1`, checking the cursor walk; returns the count.
    async fn pages(&mut self, path: &str) -> usize {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut cursor = String::new();
        let mut total = 0;
        for _ in 0..50 {
            let page = if cursor.is_empty() {
                self.get(200, &format!("{path}{sep}limit=1")).await
            } else {
                self.get(200, &format!("{path}{sep}limit=1&cursor={cursor}"))
                    .await
            };
            let meta = &page["meta"];
            total += meta["page_size"].as_u64().unwrap() as usize;
            cursor = meta["next_cursor"].as_str().unwrap().to_owned();
            assert_eq!(meta["has_more"], !cursor.is_empty(), "{path}");
            if cursor.is_empty() {
                return total;
            }
        }
        panic!("{path}: more than 50 pages");
    }
}

fn id(v: &Value, field: &str) -> String {
    v["data"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no data.{field} in {v}"))
        .to_owned()
}

#[tokio::test]
async fn every_operation_matches_the_spec() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let mut w = Walk {
        http: reqwest::Client::new(),
        base: sandbox.base_url(),
        seen: BTreeSet::new(),
    };

    unauthenticated(&mut w).await;
    let hook = webhooks(&mut w).await;
    let domain = domains(&mut w, &sandbox).await;
    qurls(&mut w, &domain).await;
    resources(&mut w).await;
    access(&mut w).await;
    api_keys(&mut w).await;
    account(&mut w).await;

    // The walk produced events; the first webhook recorded them.
    let deliveries = w
        .get(200, &format!("/v1/webhooks/{hook}/deliveries?limit=100"))
        .await;
    let kinds: BTreeSet<&str> = deliveries["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["event_type"].as_str())
        .collect();
    for kind in [
        "qurl.created",
        "token.minted",
        "qurl.accessed",
        "domain.verified",
    ] {
        assert!(kinds.contains(kind), "no {kind} delivery in {kinds:?}");
    }
    w.pages(&format!("/v1/webhooks/{hook}/deliveries")).await;

    let mut missing = Vec::new();
    for op in operations() {
        if !w.seen.iter().any(|(id, s)| id == &op.id && *s < 300) {
            missing.push(format!("{} (no success)", op.id));
        }
        for status in op.statuses {
            let injected = status == 429 || status >= 500;
            let excused = UNREACHABLE
                .iter()
                .any(|(o, s, _)| *o == op.id && *s == status);
            if !injected && !excused && !w.seen.contains(&(op.id.clone(), status)) {
                missing.push(format!("{} {status}", op.id));
            }
        }
    }
    assert!(missing.is_empty(), "not exercised: {missing:#?}");
    println!(
        "contract: {} operations, {} (operation, status) pairs checked against openapi.json",
        operations().len(),
        w.seen.len()
    );
    assert_eq!(sandbox.counters().duplicates(), 0);
}

/// Every operation that documents a 401 answers it without a token.
async fn unauthenticated(w: &mut Walk) {
    for op in operations()
        .into_iter()
        .filter(|o| o.statuses.contains(&401))
    {
        let path = op
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method: Method = op.method.parse().unwrap();
        let a = w.send(None, method, &path, None, &[]).await;
        assert_eq!(a.status, 401, "{} {path}", op.method);
    }
}

async fn webhooks(w: &mut Walk) -> String {
    let catalogue = w
        .send(None, Method::GET, "/v1/webhooks/events", None, &[])
        .await;
    let all: Vec<Value> = catalogue.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(all.len(), 15);
    let hook = w
        .post(
            201,
            "/v1/webhooks",
            json!({"url": "https://hooks.example/in", "events": all}),
        )
        .await;
    assert!(
        hook["data"]["secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );
    let hook = id(&hook, "webhook_id");
    let spare = w
        .post(
            201,
            "/v1/webhooks",
            json!({"url": "https://hooks.example/2", "events": ["qurl.created"]}),
        )
        .await;
    let spare = id(&spare, "webhook_id");
    w.post(
        400,
        "/v1/webhooks",
        json!({"url": "https://h.example", "events": [], "x": 1}),
    )
    .await;
    assert_eq!(w.pages("/v1/webhooks").await, 2);
    w.get(400, "/v1/webhooks?limit=0").await;
    w.get(200, &format!("/v1/webhooks/{hook}")).await;
    w.get(404, "/v1/webhooks/wh_nope").await;
    let path = format!("/v1/webhooks/{hook}");
    w.patch(200, &path, json!({"description": "all events"}))
        .await;
    w.patch(400, &path, json!({"status": "paused"})).await;
    w.patch(404, "/v1/webhooks/wh_nope", json!({})).await;
    let rotated = w.post(200, &format!("{path}/secret"), json!({})).await;
    assert!(rotated["data"]["secret"].is_string());
    w.post(404, "/v1/webhooks/wh_nope/secret", json!({})).await;
    w.get(400, &format!("{path}/deliveries?limit=0")).await;
    w.get(404, "/v1/webhooks/wh_nope/deliveries").await;
    w.delete(204, &format!("/v1/webhooks/{spare}")).await;
    w.delete(404, &format!("/v1/webhooks/{spare}")).await;
    hook
}

/// Registers two domains and verifies one through the admin DNS switch.
async fn domains(w: &mut Walk, sandbox: &Sandbox) -> String {
    let d = "links.example.com";
    let spare = "spare.example.com";
    w.post(201, "/v1/domains", json!({"domain": d})).await;
    w.post(201, "/v1/domains", json!({"domain": spare})).await;
    w.post(409, "/v1/domains", json!({"domain": d})).await;
    w.post(400, "/v1/domains", json!({"domain": "Not A Host"}))
        .await;
    assert_eq!(w.pages("/v1/domains").await, 2);
    w.get(200, &format!("/v1/domains/{d}")).await;
    w.get(404, "/v1/domains/nope.example.com").await;
    let failed = w
        .post(200, &format!("/v1/domains/{d}/verify"), json!({}))
        .await;
    assert_eq!(failed["data"]["status"], "failed");
    let admin = reqwest::Client::new()
        .post(format!("{}/_sandbox/domains/{d}", sandbox.base_url()))
        .json(&json!({"dns_verified": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status().as_u16(), 204);
    let ok = w
        .post(200, &format!("/v1/domains/{d}/verify"), json!({}))
        .await;
    assert_eq!(ok["data"]["status"], "active");
    assert_eq!(ok["data"]["checks"]["txt"]["verified"], true);
    w.post(409, &format!("/v1/domains/{d}/regenerate-token"), json!({}))
        .await;
    w.post(
        404,
        "/v1/domains/nope.example.com/regenerate-token",
        json!({}),
    )
    .await;
    w.post(404, "/v1/domains/nope.example.com/verify", json!({}))
        .await;
    w.post(
        200,
        &format!("/v1/domains/{spare}/regenerate-token"),
        json!({}),
    )
    .await;
    reqwest::Client::new()
        .post(format!("{}/_sandbox/domains/{spare}", sandbox.base_url()))
        .json(&json!({"token_expired": true}))
        .send()
        .await
        .unwrap();
    w.post(422, &format!("/v1/domains/{spare}/verify"), json!({}))
        .await;
    w.delete(204, &format!("/v1/domains/{spare}")).await;
    w.delete(404, &format!("/v1/domains/{spare}")).await;
    d.to_owned()
}

async fn qurls(w: &mut Walk, domain: &str) {
    let created = w
        .post(
            201,
            "/v1/qurls",
            json!({"target_url": "https://a.example.com", "custom_domain": domain}),
        )
        .await;
    assert_eq!(created["data"]["branded_domain"], domain);
    let rid = id(&created, "resource_id");
    let qid = id(&created, "qurl_id");
    let err = w
        .post(
            400,
            "/v1/qurls",
            json!({"target_url": "https://b.example.com", "custom_domain": null}),
        )
        .await;
    assert!(err["error"]["invalid_fields"]["custom_domain"].is_string());
    w.post(
        201,
        "/v1/qurls",
        json!({"target_url": "https://b.example.com"}),
    )
    .await;
    w.post(
        201,
        "/v1/resources",
        json!({"type": "transit", "target_url": "https://t.example.com"}),
    )
    .await;
    w.post(
        409,
        "/v1/qurls",
        json!({"target_url": "https://t.example.com"}),
    )
    .await;

    assert!(w.pages("/v1/qurls").await >= 2);
    let list = w
        .send(Some(OWNER), Method::GET, "/v1/qurls", None, &[])
        .await;
    let tag = list.etag.expect("ETag");
    let again = w
        .send(
            Some(OWNER),
            Method::GET,
            "/v1/qurls",
            None,
            &[("if-none-match", &tag)],
        )
        .await;
    assert_eq!(again.status, 304);
    w.get(400, "/v1/qurls?limit=0").await;

    let path = format!("/v1/qurls/{rid}");
    let one = w.send(Some(OWNER), Method::GET, &path, None, &[]).await;
    assert_eq!(one.status, 200);
    let tag = one.etag.expect("ETag");
    let again = w
        .send(
            Some(OWNER),
            Method::GET,
            &path,
            None,
            &[("if-none-match", &tag)],
        )
        .await;
    assert_eq!(again.status, 304);
    w.get(404, "/v1/qurls/r_nope").await;
    w.patch(200, &path, json!({"extend_by": "1d", "tags": ["A"]}))
        .await;
    w.patch(
        400,
        &path,
        json!({"extend_by": "1d", "expires_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
    w.patch(404, "/v1/qurls/r_nope", json!({"tags": []})).await;

    let minted = w.post(201, &format!("{path}/mint_link"), json!({})).await;
    assert!(
        minted["data"]["qurl_link"]
            .as_str()
            .unwrap()
            .contains(domain)
    );
    w.post(400, &format!("{path}/mint_link"), json!({"label": 5}))
        .await;
    w.post(404, "/v1/qurls/r_nope/mint_link", json!({})).await;

    let one = json!({"target_url": "https://c.example.com"});
    w.post(201, "/v1/qurls/batch", json!({"items": [one]}))
        .await;
    let conflict = json!({"target_url": "https://t.example.com"});
    let mixed = w
        .post(
            207,
            "/v1/qurls/batch",
            json!({"items": [{"target_url": "https://d.example.com"}, conflict]}),
        )
        .await;
    assert_eq!(
        mixed["data"]["results"][1]["error"]["code"],
        "resource_type_conflict"
    );
    w.post(400, "/v1/qurls/batch", json!({"items": []})).await;

    w.delete(400, &format!("/v1/qurls/{qid}")).await;
    w.delete(404, "/v1/qurls/r_nope").await;
    w.delete(204, &path).await;
}

async fn resources(w: &mut Walk) {
    let r = w
        .post(
            201,
            "/v1/resources",
            json!({"target_url": "https://r.example.com", "alias": "docs"}),
        )
        .await;
    let rid = id(&r, "resource_id");
    let other = w
        .post(
            201,
            "/v1/resources",
            json!({"target_url": "https://r2.example.com"}),
        )
        .await;
    let other = id(&other, "resource_id");
    w.post(
        409,
        "/v1/resources",
        json!({"target_url": "https://r3.example.com", "alias": "docs"}),
    )
    .await;
    w.post(400, "/v1/resources", json!({"type": "ship"})).await;
    let tunnel = w
        .post(
            201,
            "/v1/resources",
            json!({"type": "tunnel", "slug": "edge-one"}),
        )
        .await;
    let tunnel = id(&tunnel, "resource_id");
    assert!(w.pages("/v1/resources").await >= 3);
    w.get(400, "/v1/resources?type=ship").await;

    let path = format!("/v1/resources/{rid}");
    w.get(200, &path).await;
    w.get(404, "/v1/resources/r_nope").await;
    w.patch(
        200,
        &path,
        json!({"description": "docs site", "alias": null}),
    )
    .await;
    w.patch(
        400,
        &path,
        json!({"custom_domain": "links.example.com", "alias": "x-docs"}),
    )
    .await;
    w.patch(404, "/v1/resources/r_nope", json!({})).await;
    w.patch(
        200,
        &format!("/v1/resources/{other}"),
        json!({"alias": "taken"}),
    )
    .await;
    w.patch(409, &path, json!({"alias": "taken"})).await;

    // Tokens under the resource.
    let qurls = format!("{path}/qurls");
    let t = w.post(201, &qurls, json!({})).await;
    let tid = id(&t, "qurl_id");
    w.post(400, &qurls, json!({"max_sessions": "x"})).await;
    w.post(404, "/v1/resources/r_nope/qurls", json!({})).await;
    let foreign = w
        .send(Some(OTHER), Method::POST, &qurls, Some(&json!({})), &[])
        .await;
    assert_eq!(foreign.status, 403);
    let token = format!("{qurls}/{tid}");
    w.patch(200, &token, json!({"label": "ops"})).await;
    w.patch(400, &token, json!({})).await;
    w.patch(
        404,
        &format!("{qurls}/q_00000000000"),
        json!({"label": "x"}),
    )
    .await;
    w.delete(204, &token).await;
    w.delete(409, &token).await;
    w.patch(409, &token, json!({"label": "late"})).await;
    w.delete(404, &format!("{qurls}/q_00000000000")).await;

    // Sessions come from resolving a token of the resource.
    let live = w.post(201, &qurls, json!({"max_sessions": 5})).await;
    let secret = live["data"]["qurl_link"]
        .as_str()
        .unwrap()
        .rsplit('#')
        .next()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        w.post(200, "/v1/resolve", json!({"access_token": secret}))
            .await;
    }
    let sessions = w.get(200, &format!("{path}/sessions")).await;
    let sid = sessions["data"][0]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.get(404, "/v1/resources/r_nope/sessions").await;
    w.delete(204, &format!("{path}/sessions/{sid}")).await;
    w.delete(404, &format!("{path}/sessions/{sid}")).await;
    let ended = w.delete(200, &format!("{path}/sessions")).await;
    assert_eq!(ended["data"]["terminated"], 1);
    w.delete(404, "/v1/resources/r_nope/sessions").await;

    // Deleting tombstones: 410 afterwards.
    w.delete(204, &format!("/v1/resources/{tunnel}")).await;
    w.post(
        410,
        "/v1/resources",
        json!({"type": "tunnel", "slug": "edge-one"}),
    )
    .await;
    w.delete(204, &path).await;
    let gone = w.get(410, &path).await;
    assert!(gone["meta"]["tombstone"]["tombstoned_at"].is_string());
    w.patch(410, &path, json!({"description": "x"})).await;
    w.post(410, &qurls, json!({})).await;
    w.delete(404, "/v1/resources/r_nope").await;
}

async fn access(w: &mut Walk) {
    let r = w
        .post(
            201,
            "/v1/qurls",
            json!({"target_url": "https://door.example.com", "one_time_use": true}),
        )
        .await;
    let rid = id(&r, "resource_id");
    let secret = r["data"]["qurl_link"]
        .as_str()
        .unwrap()
        .rsplit('#')
        .next()
        .unwrap()
        .to_owned();
    let ok = w
        .post(200, "/v1/resolve", json!({"access_token": secret}))
        .await;
    assert_eq!(ok["data"]["target_url"], "https://door.example.com");
    w.post(410, "/v1/resolve", json!({"access_token": secret}))
        .await;
    w.post(
        404,
        "/v1/resolve",
        json!({"access_token": "at_unknownunknownunknown1"}),
    )
    .await;
    w.post(400, "/v1/resolve", json!({})).await;
    let single = w
        .post(
            201,
            &format!("/v1/qurls/{rid}/mint_link"),
            json!({"max_sessions": 1}),
        )
        .await;
    let single = single["data"]["qurl_link"]
        .as_str()
        .unwrap()
        .rsplit('#')
        .next()
        .unwrap()
        .to_owned();
    w.post(200, "/v1/resolve", json!({"access_token": single}))
        .await;
    w.post(403, "/v1/resolve", json!({"access_token": single}))
        .await;

    let code = w
        .post(
            201,
            "/v1/access-codes",
            json!({"resource_id": rid, "max_uses": 1}),
        )
        .await;
    let plain = id(&code, "code");
    let code_id = id(&code, "access_code_id");
    w.post(400, "/v1/access-codes", json!({"resource_id": "r_nope"}))
        .await;
    let listed = w.get(200, "/v1/access-codes").await;
    assert_eq!(listed["data"][0]["access_code_id"], code_id.as_str());
    let redeem = |code: &str| json!({"code": code, "elapsed_ms": 5000});
    let a = w
        .send(
            None,
            Method::POST,
            "/v1/access-codes/redeem",
            Some(&redeem(&plain)),
            &[],
        )
        .await;
    assert_eq!(a.status, 200);
    let a = w
        .send(
            None,
            Method::POST,
            "/v1/access-codes/redeem",
            Some(&redeem(&plain)),
            &[],
        )
        .await;
    assert_eq!(a.status, 400, "max_uses reached: {}", a.body);
    w.delete(204, &format!("/v1/access-codes/{code_id}")).await;
    w.delete(404, "/v1/access-codes/acd_nope").await;
}

async fn api_keys(w: &mut Walk) {
    let key = "k".repeat(40);
    let body = json!({"name": "ci", "scopes": ["qurl:read"]});
    let a = w
        .send(
            Some(OWNER),
            Method::POST,
            "/v1/api-keys",
            Some(&body),
            &[("idempotency-key", &key)],
        )
        .await;
    assert_eq!(a.status, 201);
    let kid = id(&a.body, "key_id");
    let other = json!({"name": "other", "scopes": ["qurl:read"]});
    let a = w
        .send(
            Some(OWNER),
            Method::POST,
            "/v1/api-keys",
            Some(&other),
            &[("idempotency-key", &key)],
        )
        .await;
    assert_eq!(a.status, 409);
    w.post(
        400,
        "/v1/api-keys",
        json!({"name": "x", "scopes": ["qurl:read"], "admin": true}),
    )
    .await;
    for i in 1..50 {
        w.post(
            201,
            "/v1/api-keys",
            json!({"name": format!("k{i}"), "scopes": ["qurl:read"]}),
        )
        .await;
    }
    w.post(
        403,
        "/v1/api-keys",
        json!({"name": "one too many", "scopes": ["qurl:read"]}),
    )
    .await;
    assert_eq!(w.pages("/v1/api-keys?status=all").await, 50);
    w.get(400, "/v1/api-keys?status=gone").await;
    let path = format!("/v1/api-keys/{kid}");
    w.patch(200, &path, json!({"scopes": ["qurl:write", "qurl:read"]}))
        .await;
    w.patch(400, &path, json!({"scopes": null})).await;
    w.patch(404, "/v1/api-keys/key_nope", json!({})).await;
    w.delete(204, &path).await;
    w.delete(404, "/v1/api-keys/malformed id").await;
}

async fn account(w: &mut Walk) {
    let quota = w
        .send(Some(OWNER), Method::GET, "/v1/quota", None, &[])
        .await;
    assert!(
        quota.body["data"]["usage"]["qurls_created"]
            .as_i64()
            .unwrap()
            > 0
    );
    let tag = quota.etag.expect("ETag");
    let again = w
        .send(
            Some(OWNER),
            Method::GET,
            "/v1/quota",
            None,
            &[("if-none-match", &tag)],
        )
        .await;
    assert_eq!(again.status, 304);
    let period = w.get(200, "/v1/usage/current-period").await;
    assert!(period["data"]["qurls_created"].as_i64().unwrap() > 0);
    let daily = w.get(200, "/v1/usage/daily").await;
    assert!(!daily["data"]["daily"].as_array().unwrap().is_empty());
    w.get(200, "/v1/customer").await;
    let c = w
        .patch(200, "/v1/customer", json!({"spending_cap_cents": 5000}))
        .await;
    assert_eq!(c["data"]["spending_cap_cents"], 5000);
    w.patch(400, "/v1/customer", json!({})).await;
    for _ in 0..2 {
        let page = w
            .post(200, "/v1/billing/checkout", json!({"plan": "growth"}))
            .await;
        let url = page["data"]["url"].as_str().unwrap_or_default();
        assert!(url.contains("/checkout/growth/"), "{url}");
    }
    w.post(400, "/v1/billing/checkout", json!({"plan": "gold"}))
        .await;
    w.post(200, "/v1/billing/portal", json!({})).await;
    let mut cursor = String::new();
    let mut invoices = 0;
    for _ in 0..5 {
        let page = w
            .get(
                200,
                &format!("/v1/billing/invoices?limit=1&cursor={cursor}"),
            )
            .await;
        invoices += page["data"]["invoices"].as_array().unwrap().len();
        cursor = page["meta"]["next_cursor"].as_str().unwrap().to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(invoices, 2);
    assert_eq!(w.pages("/v1/connectors/installations").await, 0);
    w.get(400, "/v1/connectors/installations?limit=0").await;
    w.get(400, "/v1/billing/invoices?limit=101").await;
    w.get(400, "/v1/domains?limit=101").await;
}
