//! `partner` and `emulate` end to end: the built binary runs the emulator
//! (`emulate`), and the `partner` commands manage it, over real HTTP on
//! 127.0.0.1, with a receiver built on the SDK. The rotation walkthrough
//! runs with deliveries flowing before, during and after the switch: none
//! is refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use bullseye_webhooks::{SIGNATURE_HEADER, Webhook};
use common::{CURRENT, PREVIOUS, Run, cli, payload, run};
use serde_json::Value;

const KEY: &str = "pk_cli_partner_test_key_77e1";

/// `bullseye-webhooks emulate`, in memory, on a free port, fast retries.
struct Emulate {
    child: Child,
    base_url: String,
}

impl Emulate {
    fn start() -> Self {
        let mut child = cli()
            .args([
                "emulate",
                "--port",
                "0",
                "--in-memory",
                "--time-scale",
                "0.001",
            ])
            .env("BULLSEYE_PARTNER_API_KEY", KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base_url = line
            .trim()
            .strip_prefix("partner API: ")
            .unwrap_or_else(|| panic!("emulate printed {line:?}"))
            .to_owned();
        Self { child, base_url }
    }

    fn addr(&self) -> SocketAddr {
        let rest = self.base_url.strip_prefix("http://").unwrap();
        rest.split('/').next().unwrap().parse().unwrap()
    }

    /// `partner ARGS...` against this emulator, with `env` set.
    fn partner(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = partner_command(args);
        command
            .env("BULLSEYE_PARTNER_API_KEY", KEY)
            .env("BULLSEYE_PARTNER_API_URL", &self.base_url);
        for (name, value) in env {
            command.env(name, value);
        }
        let run = run(&mut command, None);
        assert!(
            !run.stdout.contains(KEY) && !run.stderr.contains(KEY),
            "the API key was printed: {run:?}"
        );
        run
    }

    /// `POST /emulator/deliver/identification` with the documented example
    /// (a new session_id each time); whether the receiver took it at once.
    fn deliver(&self, n: usize) -> bool {
        let example =
            String::from_utf8(payload("bullseye-partner-api-identification.json")).unwrap();
        let body = example.replacen(
            "\"session_id\": \"uuid\"",
            &format!("\"session_id\": \"session-{n}\""),
            1,
        );
        let mut stream = TcpStream::connect(self.addr()).unwrap();
        write!(
            stream,
            "POST /api/v1/emulator/deliver/identification HTTP/1.1\r\nhost: x\r\n\
             x-partner-api-key: {KEY}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let json: Value = serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap();
        json["success"] == true
    }
}

impl Drop for Emulate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn partner_command(args: &[&str]) -> Command {
    let mut command = cli();
    command
        .env_remove("BULLSEYE_PARTNER_API_KEY")
        .env_remove("BULLSEYE_PARTNER_API_URL")
        .arg("partner")
        .args(args);
    command
}

/// A receiver deployed with a list of secrets that the test changes, like a
/// redeploy: it verifies each delivery with the core's `Webhook`, answers 200
/// or 401, and counts both.
struct Receiver {
    url: String,
    secrets: Arc<Mutex<Vec<String>>>,
    verdicts: Arc<Mutex<Vec<Result<(), String>>>>,
}

impl Receiver {
    fn start(secrets: &[&str]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/webhooks/bullseye",
            listener.local_addr().unwrap()
        );
        let secrets = Arc::new(Mutex::new(
            secrets
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<String>>(),
        ));
        let verdicts = Arc::new(Mutex::new(Vec::new()));
        let (deployed, log) = (Arc::clone(&secrets), Arc::clone(&verdicts));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (signature, body) = read_request(&stream);
                let webhook = Webhook::with_secrets(deployed.lock().unwrap().iter()).unwrap();
                let verdict = webhook
                    .construct_event(&body, &signature)
                    .map(|_| ())
                    .map_err(|e| e.code().to_owned());
                let status = if verdict.is_ok() {
                    "200 OK"
                } else {
                    "401 Unauthorized"
                };
                log.lock().unwrap().push(verdict);
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Self {
            url,
            secrets,
            verdicts,
        }
    }

    fn deploy(&self, secrets: &[&str]) {
        *self.secrets.lock().unwrap() = secrets.iter().map(|s| (*s).to_owned()).collect();
    }

    fn verdicts(&self) -> Vec<Result<(), String>> {
        self.verdicts.lock().unwrap().clone()
    }
}

fn read_request(stream: &TcpStream) -> (String, Vec<u8>) {
    let mut reader = BufReader::new(stream);
    let mut signature = String::new();
    let mut length = 0;
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        if name.eq_ignore_ascii_case(SIGNATURE_HEADER) {
            signature = value.trim().to_owned();
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (signature, body)
}

#[test]
fn get_set_test_and_logs_against_the_emulator() {
    let emulator = Emulate::start();
    let receiver = Receiver::start(&[CURRENT]);

    let got = emulator.partner(&["get"], &[]);
    assert_eq!(got.code, 0, "{got:?}");
    assert_eq!(
        got.stdout,
        "identification  disabled  no secret   (no URL)\n\
         billing         disabled  no secret   (no URL)\n"
    );

    let set = emulator.partner(
        &[
            "set",
            "identification",
            "--url",
            &receiver.url,
            "--secret-env",
            "RECEIVER_SECRET",
            "--enable",
        ],
        &[("RECEIVER_SECRET", CURRENT)],
    );
    assert_eq!(set.code, 0, "{set:?}");
    assert_eq!(
        set.stdout,
        format!("identification  enabled   secret set  {}\n", receiver.url)
    );
    let json = emulator.partner(&["get", "--json"], &[]);
    let config: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(config["identification"]["hasSecret"], true);
    assert_eq!(config["billing"]["url"], Value::Null);

    // Nothing to change, or a secret given as a value: usage errors.
    assert_eq!(emulator.partner(&["set", "billing"], &[]).code, 2);
    let unset = emulator.partner(&["set", "billing", "--secret-env", CURRENT], &[]);
    assert_eq!(unset.code, 2, "{unset:?}");

    let test = emulator.partner(&["test", "identification"], &[]);
    assert_eq!(test.code, 0, "{test:?}");
    assert_eq!(test.stdout, "ok: Test webhook sent successfully\n");
    assert_eq!(receiver.verdicts(), [Ok(())]);

    // The billing webhook has no URL: the API's 400 and its message.
    let refused = emulator.partner(&["test", "billing"], &[]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("partner API answered 400: no billing webhook URL is configured"),
        "{refused:?}"
    );
    // A receiver that refuses: exit 1, the reason on stdout.
    emulator.partner(
        &[
            "set",
            "billing",
            "--url",
            &receiver.url,
            "--secret-env",
            "WRONG",
        ],
        &[("WRONG", PREVIOUS)],
    );
    let failed = emulator.partner(&["test", "billing"], &[]);
    assert_eq!(failed.code, 1, "{failed:?}");
    assert!(
        failed
            .stdout
            .starts_with("failed: Test webhook delivery failed: the receiver answered 401"),
        "{failed:?}"
    );

    let logs = emulator.partner(&["logs", "--type", "identification"], &[]);
    assert_eq!(logs.code, 0, "{logs:?}");
    assert_eq!(logs.stdout.lines().count(), 1, "{logs:?}");
    assert!(
        logs.stdout.contains("delivered  200  identification"),
        "{logs:?}"
    );
    assert!(
        logs.stderr.contains("page 1 of 1, 1 entries in all"),
        "{logs:?}"
    );
    let failed_logs = emulator.partner(&["logs", "--status", "failed", "--json"], &[]);
    let page: Value = serde_json::from_str(&failed_logs.stdout).unwrap();
    assert!(page["total"].as_u64().unwrap() >= 1);
    assert!(
        page["logs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] == "billing" && e["statusCode"] == 401)
    );
    // Two more tests: three identification entries, read two to a page.
    for _ in 0..2 {
        assert_eq!(emulator.partner(&["test", "identification"], &[]).code, 0);
    }
    let organization = page["logs"][0]["organizationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let all = emulator.partner(
        &[
            "logs",
            "--all",
            "--page-size",
            "2",
            "--type",
            "identification",
            "--organization",
            &organization,
            "--json",
        ],
        &[],
    );
    let entries: Value = serde_json::from_str(&all.stdout).unwrap();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 3, "{all:?}");
    let mut ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    assert!(entries.iter().all(|e| e["status"] == "delivered"));
}

#[test]
fn no_key_or_a_wrong_key_is_reported_without_printing_it() {
    let emulator = Emulate::start();
    let missing = run(
        partner_command(&["get"]).env("BULLSEYE_PARTNER_API_URL", &emulator.base_url),
        None,
    );
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing.stderr.contains("set BULLSEYE_PARTNER_API_KEY"),
        "{missing:?}"
    );

    let wrong_key = "pk_wrong_do_not_print_3d1";
    let wrong = run(
        partner_command(&["get", "--base-url", &emulator.base_url])
            .env("BULLSEYE_PARTNER_API_KEY", wrong_key),
        None,
    );
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(
        wrong
            .stderr
            .contains("partner API answered 401: invalid API key"),
        "{wrong:?}"
    );
    assert!(!wrong.stdout.contains(wrong_key) && !wrong.stderr.contains(wrong_key));

    // Nothing listens: a network failure, exit 4.
    let unreachable = run(
        partner_command(&["logs", "--base-url", "http://127.0.0.1:9/api/v1"])
            .env("BULLSEYE_PARTNER_API_KEY", KEY),
        None,
    );
    assert_eq!(unreachable.code, 4, "{unreachable:?}");
}

#[test]
fn a_rotation_refuses_no_delivery() {
    let emulator = Emulate::start();
    // The receiver runs with the current secret, PREVIOUS here.
    let receiver = Receiver::start(&[PREVIOUS]);
    let set = emulator.partner(
        &[
            "set",
            "identification",
            "--url",
            &receiver.url,
            "--secret-env",
            "OLD_SECRET",
            "--enable",
        ],
        &[("OLD_SECRET", PREVIOUS)],
    );
    assert_eq!(set.code, 0, "{set:?}");
    let mut sent = 0;
    let mut traffic = |emulator: &Emulate| {
        for _ in 0..3 {
            sent += 1;
            assert!(emulator.deliver(sent), "delivery {sent} was not accepted");
        }
    };
    traffic(&emulator);

    // Step 1: the new secret, in a file only the user reads, never printed.
    let dir = std::env::temp_dir().join(format!(
        "bullseye-cli-rotate-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("new.secret");
    let file_arg = file.to_str().unwrap();
    let step1 = emulator.partner(
        &["rotate", "identification", "--secret-file", file_arg],
        &[],
    );
    assert_eq!(step1.code, 0, "{step1:?}");
    let new_secret = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert!(new_secret.starts_with("whsec_") && new_secret.len() == 6 + 43);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!step1.stdout.contains(&new_secret));
    assert!(
        step1.stdout.contains("Step 2: deploy your receiver"),
        "{step1:?}"
    );
    assert!(step1.stdout.contains("--activate"), "{step1:?}");
    // A second step 1 would lose the first secret: refused.
    let again = emulator.partner(
        &["rotate", "identification", "--secret-file", file_arg],
        &[],
    );
    assert_eq!(again.code, 2, "{again:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), new_secret);
    traffic(&emulator);

    // Step 2: the receiver is redeployed with both secrets.
    receiver.deploy(&[&new_secret, PREVIOUS]);
    traffic(&emulator);

    // Step 3: Bullseye switches; its test webhook is signed with the new one.
    let step3 = emulator.partner(
        &[
            "rotate",
            "identification",
            "--secret-file",
            file_arg,
            "--activate",
        ],
        &[],
    );
    assert_eq!(step3.code, 0, "{step3:?}");
    assert!(!step3.stdout.contains(&new_secret));
    assert!(
        step3
            .stdout
            .contains("The receiver accepted a test webhook signed with the new secret."),
        "{step3:?}"
    );
    assert!(
        step3
            .stdout
            .contains("Keep the old secret in the receiver until "),
        "{step3:?}"
    );
    traffic(&emulator);

    // Later: the old secret goes; Bullseye signs with the new one only.
    receiver.deploy(&[&new_secret]);
    traffic(&emulator);

    let verdicts = receiver.verdicts();
    assert_eq!(verdicts.len(), 15 + 1, "15 deliveries and the test");
    assert!(verdicts.iter().all(Result::is_ok), "{verdicts:?}");
    let failed = emulator.partner(&["logs", "--status", "failed", "--json"], &[]);
    let failed: Value = serde_json::from_str(&failed.stdout).unwrap();
    assert_eq!(failed["total"], 0, "{failed}");
    std::fs::remove_dir_all(&dir).unwrap();

    // With the old secret alone, the receiver would now refuse: the switch
    // really happened.
    receiver.deploy(&[PREVIOUS]);
    assert!(!emulator.deliver(99));
}

#[test]
fn emulate_without_a_key_does_not_start() {
    let mut command = cli();
    command
        .env_remove("BULLSEYE_PARTNER_API_KEY")
        .args(["emulate", "--in-memory", "--port", "0"]);
    let refused = run(&mut command, None);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("BULLSEYE_PARTNER_API_KEY"),
        "{refused:?}"
    );
}
