//! `qurl-sandbox`: run the sandbox server until Ctrl-C.

use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use qurl_sandbox::{FaultKind, Sandbox, SandboxBuilder};

const USAGE: &str = "\
Usage: qurl-sandbox [OPTIONS]

Runs an in-memory qURL API on 127.0.0.1: every operation of openapi.json, with
real idempotency and fault injection.

Options:
  --port <PORT>                 port to listen on (default 0: pick a free one)
  --fault-rate <RATE>           probability 0.0-1.0 of a random fault per API request (default 0)
  --fault-kinds <K1,K2,...>     kinds random faults draw from (default: all):
                                drop_before_handling, drop_after_commit, bad_gateway,
                                service_unavailable, gateway_timeout, rate_limited,
                                delay, truncated_body
  --seed <N>                    seed of the fault RNG (default 0)
  --slow-delay-ms <MS>          how long the delay fault waits (default 3000)
  --retry-after <SECS>          Retry-After on injected 429/503 (default 1)
  --idempotency-ttl <SECS>      how long idempotent answers are kept (default 86400)
  --delivery-fault-rate <RATE>  probability 0.0-1.0 that a webhook delivery attempt is
                                duplicated, delayed or dropped (default 0)
  --delivery-delay-ms <MS>      how long the delivery delay fault waits (default 200)
  --fuzz-spec                   print the spec with its x-qurl-rules also said in plain
                                JSON Schema (for fuzzers such as schemathesis), then exit
  -h, --help                    print this help

Admin endpoints (no auth): GET /_sandbox/counters, POST /_sandbox/faults,
POST /_sandbox/domains/{domain} (mark a custom domain's DNS as published)";

fn value<T: FromStr>(flag: &str, raw: Option<String>) -> Result<T, String> {
    let raw = raw.ok_or_else(|| format!("{flag} needs a value"))?;
    raw.parse()
        .map_err(|_| format!("invalid value `{raw}` for {flag}"))
}

/// `Ok(None)` means `--help` was asked for.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<SandboxBuilder>, String> {
    let mut b = Sandbox::builder();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut next = || inline.clone().or_else(|| args.next());
        b = match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => b.port(value("--port", next())?),
            "--fault-rate" => {
                let rate: f64 = value("--fault-rate", next())?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!("--fault-rate must be between 0 and 1, got {rate}"));
                }
                b.fault_rate(rate)
            }
            "--fault-kinds" => {
                let raw: String = value("--fault-kinds", next())?;
                let kinds = raw
                    .split(',')
                    .map(|k| k.trim().parse::<FaultKind>().map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, _>>()?;
                b.fault_kinds(kinds)
            }
            "--seed" => b.seed(value("--seed", next())?),
            "--slow-delay-ms" => {
                b.slow_delay(Duration::from_millis(value("--slow-delay-ms", next())?))
            }
            "--retry-after" => b.retry_after_secs(value("--retry-after", next())?),
            "--delivery-fault-rate" => {
                let rate: f64 = value("--delivery-fault-rate", next())?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!(
                        "--delivery-fault-rate must be between 0 and 1, got {rate}"
                    ));
                }
                b.delivery_fault_rate(rate)
            }
            "--delivery-delay-ms" => {
                b.delivery_delay(Duration::from_millis(value("--delivery-delay-ms", next())?))
            }
            "--idempotency-ttl" => {
                b.idempotency_ttl(Duration::from_secs(value("--idempotency-ttl", next())?))
            }
            other => return Err(format!("unknown argument `{other}`")),
        };
    }
    Ok(Some(b))
}

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().skip(1).any(|a| a == "--fuzz-spec") {
        return match qurl_sandbox::fuzz_spec() {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot render the spec: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let builder = match parse(std::env::args().skip(1)) {
        Ok(Some(b)) => b,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match builder.start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the sandbox: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", sandbox.base_url());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!("counters: {:?}", sandbox.counters());
    drop(sandbox);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_flags() {
        assert!(
            parse(args("--port 8080 --fault-rate 0.2 --seed 7"))
                .unwrap()
                .is_some()
        );
        assert!(
            parse(args("--port=8080 --fault-kinds delay,bad_gateway"))
                .unwrap()
                .is_some()
        );
        assert!(
            parse(args("--delivery-fault-rate 0.5 --delivery-delay-ms=50"))
                .unwrap()
                .is_some()
        );
        assert!(parse(args("--help")).unwrap().is_none());
    }

    #[test]
    fn rejects_bad_flags() {
        assert!(parse(args("--port")).is_err());
        assert!(parse(args("--port abc")).is_err());
        assert!(parse(args("--fault-rate 2")).is_err());
        assert!(parse(args("--delivery-fault-rate -0.1")).is_err());
        assert!(parse(args("--delivery-delay-ms soon")).is_err());
        assert!(parse(args("--fault-kinds nope")).is_err());
        assert!(parse(args("--bogus")).is_err());
    }
}
