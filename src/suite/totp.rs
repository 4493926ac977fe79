//! `${totp.FIXTURE}`: the current RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32 secret, so a
//! flow can pass MFA for a test user enrolled with an authenticator app.

use ring::hmac;

/// The code for `secret_base32` now.
pub fn totp_now(secret_base32: &str) -> Result<String, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    totp_at(secret_base32, now)
}

/// The code for `secret_base32` at `unix_time`.
pub fn totp_at(secret_base32: &str, unix_time: u64) -> Result<String, String> {
    let secret = base32_decode(secret_base32).ok_or("a TOTP secret must be base32 (RFC 4648)")?;
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &secret);
    let tag = hmac::sign(&key, &(unix_time / 30).to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let code = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    Ok(format!("{:06}", code % 1_000_000))
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u64 - 'A' as u64,
            c @ '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => return None,
        };
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B: the ASCII secret "12345678901234567890", 8 digits there; the
        // last 6 digits are the 6-digit code.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(totp_at(secret, 59).unwrap(), "287082");
        assert_eq!(totp_at(secret, 1_111_111_109).unwrap(), "081804");
        assert_eq!(totp_at(secret, 2_000_000_000).unwrap(), "279037");
        assert!(totp_at("not base32!", 1).is_err());
    }
}
