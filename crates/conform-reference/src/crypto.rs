//! Signing and codes for the reference server: RS256 JWTs with committed demo keys (`Signer`),
//! the JWKS, random opaque tokens, PKCE S256 and RFC 6238 TOTP codes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

/// DEMO KEY ONLY: a 2048-bit RSA PKCS#8 key generated with
/// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -outform DER` (then
/// `openssl pkcs8 -topk8 -nocrypt -inform DER -outform DER`, since ring wants PKCS#8) for this
/// loopback-only test server. It protects nothing and must never sign anything real.
const DEMO_SIGNING_KEY: &[u8] = include_bytes!("demo-signing-key.pk8.der");
/// DEMO KEY ONLY, made the same way: a second key that is never published in the JWKS, for
/// the `id-token-unpublished-key` fault (an id_token signed by a key clients cannot verify).
const DEMO_UNPUBLISHED_KEY: &[u8] = include_bytes!("demo-unpublished-key.pk8.der");
/// Key id published in the JWKS and in every JWT header.
pub const KEY_ID: &str = "conform-reference-demo-key";

/// Signs JWTs (RS256) and publishes the matching JWKS.
pub struct Signer {
    key: RsaKeyPair,
    unpublished: RsaKeyPair,
    rng: SystemRandom,
}

impl Signer {
    pub fn demo() -> Result<Self, std::io::Error> {
        let load = |der: &[u8]| {
            RsaKeyPair::from_pkcs8(der).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("demo key: {e}"))
            })
        };
        Ok(Self {
            key: load(DEMO_SIGNING_KEY)?,
            unpublished: load(DEMO_UNPUBLISHED_KEY)?,
            rng: SystemRandom::new(),
        })
    }

    /// A compact JWS of `claims`; `None` only if ring refuses to sign (never with this key).
    pub fn sign(&self, claims: &Value) -> Option<String> {
        self.sign_with(&self.key, claims)
    }

    /// A compact JWS of `claims` by the key the JWKS does not publish, under the published
    /// key's `kid` (as a botched key rotation would).
    pub fn sign_unpublished(&self, claims: &Value) -> Option<String> {
        self.sign_with(&self.unpublished, claims)
    }

    fn sign_with(&self, key: &RsaKeyPair, claims: &Value) -> Option<String> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": KEY_ID});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0u8; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &self.rng,
            signing_input.as_bytes(),
            &mut sig,
        )
        .ok()?;
        Some(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// `{"keys":[{kty,use,alg,kid,n,e}]}` for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Value {
        let (n, e) = rsa_public_components(self.key.public().as_ref()).unwrap_or_default();
        json!({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID,
            "n": URL_SAFE_NO_PAD.encode(n), "e": URL_SAFE_NO_PAD.encode(e),
        }]})
    }

    /// A random URL-safe token of `bytes` random bytes.
    pub fn random_token(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        // SystemRandom only fails if the OS has no randomness; fall back to a time-based
        // value rather than panicking (tokens stay unique through the counter in state).
        if self.rng.fill(&mut buf).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            return format!("t{nanos:x}");
        }
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// A random decimal code of `digits` digits (passwordless and binding codes).
    pub fn random_digits(&self, digits: usize) -> String {
        let mut buf = vec![0u8; digits];
        let _ = self.rng.fill(&mut buf);
        buf.iter().map(|b| char::from(b'0' + b % 10)).collect()
    }
}

/// Split a DER `SEQUENCE { INTEGER n, INTEGER e }` into big-endian n and e (no leading zero).
fn rsa_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    fn read_len(d: &[u8], i: &mut usize) -> Option<usize> {
        let first = *d.get(*i)?;
        *i += 1;
        if first < 0x80 {
            return Some(usize::from(first));
        }
        let count = usize::from(first & 0x7f);
        let mut len = 0usize;
        for _ in 0..count {
            len = (len << 8) | usize::from(*d.get(*i)?);
            *i += 1;
        }
        Some(len)
    }
    fn read_int(d: &[u8], i: &mut usize) -> Option<Vec<u8>> {
        if *d.get(*i)? != 0x02 {
            return None;
        }
        *i += 1;
        let len = read_len(d, i)?;
        let bytes = d.get(*i..*i + len)?;
        *i += len;
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        Some(bytes[start..].to_vec())
    }
    let mut i = 0;
    if *der.first()? != 0x30 {
        return None;
    }
    i += 1;
    read_len(der, &mut i)?;
    let n = read_int(der, &mut i)?;
    let e = read_int(der, &mut i)?;
    Some((n, e))
}

/// `BASE64URL(SHA256(verifier))`, the PKCE S256 challenge.
pub fn pkce_s256(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits) of `secret` at `unix_time`.
///
/// Public so test suites can compute the MFA user's current code from `tenant.toml`.
pub fn totp(secret: &[u8], unix_time: u64) -> String {
    let counter = unix_time / 30;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = ring::hmac::sign(&key, &counter.to_be_bytes());
    let h = tag.as_ref();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc_6238_vector() {
        // RFC 6238 appendix B, SHA1, T = 59 -> 94287082 (8 digits); 6 digits -> 287082.
        assert_eq!(totp(b"12345678901234567890", 59), "287082");
    }

    #[test]
    fn pkce_matches_rfc_7636_vector() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn jwks_exposes_2048_bit_modulus() {
        let s = Signer::demo().expect("demo key loads");
        let jwks = s.jwks();
        let n = jwks["keys"][0]["n"].as_str().unwrap_or_default();
        assert_eq!(URL_SAFE_NO_PAD.decode(n).map(|b| b.len()).ok(), Some(256));
        assert_eq!(jwks["keys"][0]["e"], "AQAB");
    }
}
