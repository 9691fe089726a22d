//! ECR logins: the token comes from ECR's GetAuthorizationToken, here from moto's ECR API on
//! 127.0.0.1:5000 (started by `scripts/test.sh`). The registry HEAD that then uses the login is
//! the one `ferry-cli/tests/registry.rs` tests against a registry on loopback; an ECR registry
//! host itself is not reachable from here.

use ferry_exec::registry::{ecr_login, ecr_registry};

#[test]
fn an_ecr_registrys_login_is_a_token_from_ecr() {
    // SAFETY: the only test in this binary, before any thread or runtime exists: nothing reads
    // the environment meanwhile. No instance metadata lookups (off loopback).
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "ferry-test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "ferry-test");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
    }
    let host = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    let (account, region) = ecr_registry(host).expect("an ECR host");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let login = runtime
        .block_on(ecr_login(account, region, Some("http://127.0.0.1:5000")))
        .expect("a token from moto's ECR");
    assert_eq!(login.username, "AWS");
    // moto's token for the account, decoded from base64 `AWS:<token>`.
    assert_eq!(login.secret, "123456789012-auth-token");
    // An unreachable API is an error naming the account and region, not a hang.
    let err = runtime
        .block_on(ecr_login(account, region, Some("http://127.0.0.1:9")))
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("123456789012") && text.contains("us-east-1"),
        "{text}"
    );
}
