//! `onair doctor`, as an operator runs it after deploying: beside the running onair, with its
//! settings. A deployment that works passes every check — only UDP, which cannot be verified
//! from there, stays a reminder — and exits 0; one deployed with a wrong S3 public endpoint or
//! a wrong LiveKit public URL gets a FAIL line naming the setting to change, and exits 1.
//! Nothing secret is ever printed.

use onair_api_tests::{
    DoctorReport, LiveKitTarget, free_port, recording_settings, spawn_app_on,
    spawn_recording_app_with, webhook_port,
};

use crate::TAKE_TURNS;

/// The doctor printed none of the deployment's secrets, nor a token or a URL's signature.
fn assert_no_secret_in(report: &DoctorReport, livekit: &LiveKitTarget) {
    let mut secrets = vec![livekit.api_secret.clone()];
    if std::env::var("ONAIR_TEST_S3_BUCKET_NAME").is_ok() {
        secrets.extend(
            recording_settings()
                .into_iter()
                .filter(|(name, _)| {
                    matches!(name.as_str(), "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY")
                })
                .map(|(_, value)| value),
        );
    }
    for secret in secrets {
        assert!(!report.output.contains(&secret), "a secret in:\n{report}");
    }
    for marker in [
        "eyJ",
        "access_token=",
        "X-Amz-Signature",
        "X-Amz-Credential",
    ] {
        assert!(!report.output.contains(marker), "{marker} in:\n{report}");
    }
}

#[tokio::test]
async fn a_deployment_that_works_passes_every_check_of_the_doctor() {
    // The operator's onair listens where LiveKit sends its webhooks: one test there at a time.
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app_with(webhook_port(), &[]).await;

    let report = app.doctor().await;
    println!("{report}");

    for line in report.lines() {
        assert!(
            line.starts_with("ok   ") || line.starts_with("warn LiveKit media over UDP"),
            "every check passes (UDP can only be a reminder), but:\n{report}"
        );
    }
    for check in [
        "LiveKit API at",
        "clock against LiveKit's",
        "LiveKit over its public URL",
        "LiveKit media over TCP",
        "LiveKit egress",
        "LiveKit ingress",
        "S3 bucket",
        "browsers download recordings",
        "clock against S3's",
        "LiveKit webhooks reach this server",
    ] {
        assert!(
            report.line(check).starts_with("ok   "),
            "{check}:\n{report}"
        );
    }
    let udp = report.line("LiveKit media over UDP");
    assert!(
        udp.contains("/udp") && udp.contains("firewall"),
        "the reminder says which UDP port to open: {udp}"
    );
    assert_eq!(report.status, Some(0), "{report}");
    assert_no_secret_in(&report, &app.livekit);
}

#[tokio::test]
async fn a_wrong_s3_public_endpoint_fails_the_doctor_and_names_the_setting() {
    // Browsers are sent to a store address where nothing answers.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let app =
        spawn_recording_app_with(free_port(), &[("S3_PUBLIC_ENDPOINT", nowhere.as_str())]).await;

    let report = app.doctor().await;
    println!("{report}");

    assert!(
        report.line("S3 bucket").starts_with("ok   "),
        "the server's own access to the bucket works:\n{report}"
    );
    let download = report.line("browsers download recordings");
    assert!(
        download.starts_with("FAIL")
            && download.contains(&nowhere)
            && download.contains("fix: set S3_PUBLIC_ENDPOINT to the address browsers reach"),
        "{report}"
    );
    assert_eq!(report.status, Some(1), "{report}");
    assert_no_secret_in(&report, &app.livekit);
}

#[tokio::test]
async fn a_wrong_livekit_public_url_fails_the_doctor_and_names_the_setting() {
    let livekit = LiveKitTarget::shared();

    // Browsers are sent to a port where nothing listens.
    let nowhere = format!("ws://127.0.0.1:{}", free_port());
    let app = spawn_app_on(
        free_port(),
        &livekit,
        &[("LIVEKIT_PUBLIC_URL", nowhere.as_str())],
    )
    .await;
    let report = app.doctor().await;
    println!("{report}");
    let join = report.line("LiveKit over its public URL");
    assert!(
        join.starts_with(&format!("FAIL LiveKit over its public URL {nowhere}/rtc"))
            && join.contains("cannot connect")
            && join.contains("fix: LIVEKIT_PUBLIC_URL must be the address browsers reach"),
        "{report}"
    );
    assert!(
        report.line("LiveKit API at").starts_with("ok   "),
        "the server's own access to LiveKit works:\n{report}"
    );
    assert_eq!(report.status, Some(1), "{report}");
    assert_no_secret_in(&report, &livekit);

    // Or to OnAir's own address, a common slip: it answers, but no WebSocket.
    let port = free_port();
    let own = format!("ws://127.0.0.1:{port}");
    let app = spawn_app_on(port, &livekit, &[("LIVEKIT_PUBLIC_URL", own.as_str())]).await;
    let report = app.doctor().await;
    println!("{report}");
    let join = report.line("LiveKit over its public URL");
    assert!(
        join.starts_with("FAIL")
            && join.contains("instead of a WebSocket upgrade")
            && join.contains("fix: LIVEKIT_PUBLIC_URL is OnAir's own address (PUBLIC_URL)"),
        "{report}"
    );
    assert_eq!(report.status, Some(1), "{report}");
}
