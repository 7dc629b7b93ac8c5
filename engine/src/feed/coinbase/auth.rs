//! Optional API-key authentication of Coinbase Advanced Trade subscriptions: an ES256 JWT in
//! each subscribe message, as Coinbase's SDK builds it (`coinbase-advanced-py`,
//! `jwt_generator.build_ws_jwt`; `docs/venues.md` §6.1):
//!
//! ```text
//! header  {"alg":"ES256","typ":"JWT","kid":"<key name>","nonce":"<32 random bytes, hex>"}
//! payload {"sub":"<key name>","iss":"cdp","nbf":<now s>,"exp":<now s + 120>}
//! ```
//!
//! The market-data channels need no auth; a user who wants the authenticated limits sets
//! `COINBASE_API_KEY` (the key name, `organizations/{org}/apiKeys/{id}`) and
//! `COINBASE_API_SECRET` (its EC P-256 private key as PEM, `-----BEGIN EC PRIVATE KEY-----`
//! or PKCS#8 `-----BEGIN PRIVATE KEY-----`; `\n` escapes are read as line breaks), the names
//! the SDK reads. Signing uses `ring` (already in the tree through rustls), so no JWT crate is
//! added. A JWT lives 2 minutes: each frame is signed as it is sent ([`FrameSigner`]), so a
//! reconnect signs anew. The secret and the tokens are never logged (the connection logs the
//! unsigned frame), and a capture records only received frames. `Debug` shows the key name only.

use crate::clock::Clock;
use crate::feed::live::{FeedError, FrameSigner};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use std::fmt;

/// The environment variable of the key name.
pub const KEY_ENV: &str = "COINBASE_API_KEY";
/// The environment variable of the private key.
pub const SECRET_ENV: &str = "COINBASE_API_SECRET";
/// How long a JWT is valid (the venue's limit).
pub const JWT_LIFETIME_SECS: u64 = 120;

/// An API key: its name and its P-256 private key (PKCS#8 DER), checked to load.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    key: String,
    pkcs8: Vec<u8>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// The key `key` with the PEM private key `secret`.
    ///
    /// # Errors
    /// [`FeedError::Config`] naming `source` (where the secret came from) when the secret is not
    /// a PEM EC P-256 private key; the text never quotes the secret.
    pub fn new(key: &str, secret: &str, source: &str) -> Result<Self, FeedError> {
        let bad = |why: &str| FeedError::Config(format!("{source}: {why}"));
        if key.trim().is_empty() {
            return Err(bad("the key name is empty"));
        }
        let pem = secret.replace("\\n", "\n");
        let (label, der) = pem_body(&pem).ok_or_else(|| bad("not a pem private key"))?;
        let pkcs8 = match label {
            "EC PRIVATE KEY" => sec1_to_pkcs8(&der),
            "PRIVATE KEY" => der,
            _ => {
                return Err(bad(
                    "not an ec private key (-----BEGIN EC PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)",
                ));
            }
        };
        EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .map_err(|e| bad(&format!("not an ec p-256 private key ({e})")))?;
        Ok(Self {
            key: key.trim().to_owned(),
            pkcs8,
        })
    }

    /// The credentials in [`KEY_ENV`] and [`SECRET_ENV`] when both are set; `None` when
    /// neither is.
    ///
    /// # Errors
    /// [`FeedError::Config`] naming the variable when only one is set or the secret is bad.
    pub fn from_env() -> Result<Option<Self>, FeedError> {
        let get = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        match (get(KEY_ENV), get(SECRET_ENV)) {
            (None, None) => Ok(None),
            (Some(key), Some(secret)) => Self::new(&key, &secret, SECRET_ENV).map(Some),
            (Some(_), None) => Err(FeedError::Config(format!(
                "{KEY_ENV} is set but {SECRET_ENV} is not: set both or neither"
            ))),
            (None, Some(_)) => Err(FeedError::Config(format!(
                "{SECRET_ENV} is set but {KEY_ENV} is not: set both or neither"
            ))),
        }
    }

    /// The key name (not secret).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A JWT valid from `now_s` (Unix seconds) for [`JWT_LIFETIME_SECS`].
    ///
    /// # Errors
    /// [`FeedError::Config`] when the system's random source or the signature fails.
    pub fn jwt(&self, now_s: u64) -> Result<String, FeedError> {
        let fail = |what: &str| FeedError::Config(format!("coinbase jwt: {what} failed"));
        let rng = SystemRandom::new();
        let mut nonce = [0u8; 32];
        rng.fill(&mut nonce).map_err(|_| fail("the random nonce"))?;
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let header = serde_json::json!({
            "alg": "ES256", "typ": "JWT", "kid": self.key, "nonce": nonce,
        });
        let payload = serde_json::json!({
            "sub": self.key, "iss": "cdp", "nbf": now_s, "exp": now_s + JWT_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &self.pkcs8, &rng)
            .map_err(|_| fail("loading the key"))?;
        let sig = pair
            .sign(&rng, signing_input.as_bytes())
            .map_err(|_| fail("the signature"))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(sig.as_ref())
        ))
    }
}

impl FrameSigner for Credentials {
    /// Adds `"jwt"` to a subscribe or unsubscribe message.
    fn sign(&self, frame: &str) -> Result<String, FeedError> {
        let mut v: serde_json::Value = serde_json::from_str(frame)
            .map_err(|e| FeedError::Config(format!("coinbase jwt: cannot sign {frame}: {e}")))?;
        let now_s = Clock::live().now().as_nanos() / 1_000_000_000;
        let token = self.jwt(now_s)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("jwt".into(), serde_json::Value::String(token));
        }
        Ok(v.to_string())
    }
}

/// The label and DER bytes of the first PEM block of `pem`.
fn pem_body(pem: &str) -> Option<(&str, Vec<u8>)> {
    let start = pem.find("-----BEGIN ")?;
    let rest = &pem[start + "-----BEGIN ".len()..];
    let (label, rest) = rest.split_once("-----")?;
    let end = rest.find(&format!("-----END {label}-----"))?;
    let b64: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD.decode(b64).ok()?;
    Some((label, der))
}

/// A DER length.
fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
}

/// A SEC1 `ECPrivateKey` (P-256) wrapped as PKCS#8 v1 (RFC 5208): the algorithm
/// `id-ecPublicKey` with the curve `prime256v1`, the key as the octet string.
fn sec1_to_pkcs8(sec1: &[u8]) -> Vec<u8> {
    const VERSION: [u8; 3] = [0x02, 0x01, 0x00];
    const ALGORITHM: [u8; 21] = [
        0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
        0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    ];
    let mut key = vec![0x04];
    der_len(&mut key, sec1.len());
    key.extend_from_slice(sec1);
    let mut out = vec![0x30];
    der_len(&mut out, VERSION.len() + ALGORITHM.len() + key.len());
    out.extend_from_slice(&VERSION);
    out.extend_from_slice(&ALGORITHM);
    out.extend(key);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ECDSA_P256_SHA256_FIXED, KeyPair, UnparsedPublicKey};

    fn pkcs8_pem() -> (String, Vec<u8>) {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng).unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n",
            STANDARD.encode(doc.as_ref())
        );
        (pem, pair.public_key().as_ref().to_vec())
    }

    fn part(token: &str, k: usize) -> serde_json::Value {
        let p = token.split('.').nth(k).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    }

    #[test]
    fn jwt_is_es256_over_header_and_payload_and_verifies_with_the_public_key() {
        let (pem, public) = pkcs8_pem();
        let c = Credentials::new("organizations/o/apiKeys/k", &pem, SECRET_ENV).unwrap();
        let token = c.jwt(1_786_309_548).unwrap();
        let header = part(&token, 0);
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], "organizations/o/apiKeys/k");
        assert_eq!(header["nonce"].as_str().unwrap().len(), 64);
        let payload = part(&token, 1);
        assert_eq!(payload["sub"], "organizations/o/apiKeys/k");
        assert_eq!(payload["iss"], "cdp");
        assert_eq!(payload["nbf"], 1_786_309_548u64);
        assert_eq!(payload["exp"], 1_786_309_668u64);
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public)
            .verify(input.as_bytes(), &sig)
            .expect("the signature verifies");
    }

    #[test]
    fn sign_adds_a_jwt_to_the_frame_and_debug_hides_the_secret() {
        let (pem, _) = pkcs8_pem();
        let c = Credentials::new("k", &pem, SECRET_ENV).unwrap();
        let signed = c
            .sign(r#"{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}"#)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&signed).unwrap();
        assert_eq!(v["channel"], "level2");
        assert_eq!(v["jwt"].as_str().unwrap().split('.').count(), 3);
        let debug = format!("{c:?}");
        assert!(
            debug.contains("<redacted>") && !debug.contains("PRIVATE"),
            "{debug}"
        );
    }

    #[test]
    fn sec1_pem_is_wrapped_as_pkcs8() {
        // A SEC1 key made from a generated PKCS#8 one: its `ECPrivateKey` is the octet
        // string at the end of the PKCS#8 document.
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let der = doc.as_ref();
        // 30 81 87 | 02 01 00 | algorithm (21) | 04 6d <sec1>
        let sec1 = &der[3 + 3 + 21 + 2..];
        assert_eq!(
            sec1_to_pkcs8(sec1),
            der,
            "the wrap is the generated document"
        );
        let pem = format!(
            "-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
            STANDARD.encode(sec1)
        );
        assert!(Credentials::new("k", &pem, SECRET_ENV).is_ok());
    }

    #[rstest::rstest]
    #[case::not_pem("hunter2", "COINBASE_API_SECRET: not a pem private key")]
    #[case::rsa(
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
        "COINBASE_API_SECRET: not an ec private key"
    )]
    #[case::garbage_ec(
        "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----",
        "COINBASE_API_SECRET: not an ec p-256 private key"
    )]
    fn bad_secrets_are_named_by_their_variable_without_quoting_them(
        #[case] secret: &str,
        #[case] want: &str,
    ) {
        let e = Credentials::new("k", secret, SECRET_ENV)
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{e}");
        assert!(!e.contains("hunter2") && !e.contains("AAAA"), "{e}");
    }
}
