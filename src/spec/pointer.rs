//! JSON pointers (RFC 6901): the one way this crate names a place in a document.

/// Escapes one reference token: `~` becomes `~0`, `/` becomes `~1`.
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Undoes [`escape_token`].
pub fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Builds `/a/b~1c` from raw tokens.
pub fn pointer_from_tokens<I, S>(tokens: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for token in tokens {
        out.push('/');
        out.push_str(&escape_token(token.as_ref()));
    }
    out
}

/// Splits a pointer (without the leading `#`) into unescaped tokens.
pub fn tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(unescape_token)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_special_characters() {
        let p = pointer_from_tokens(["paths", "/oauth/token", "a~b"]);
        assert_eq!(p, "/paths/~1oauth~1token/a~0b");
        assert_eq!(tokens(&p), vec!["paths", "/oauth/token", "a~b"]);
    }
}
