//! `${...}` templates in suite values: `${fixtures.NAME}`, `${flows.FLOW.VAR}`, `${status}`, and
//! in fixtures `${ENV_VAR}`.

use serde_json::Value;

/// Expands every `${name}` in `text` through `lookup`. A string that is exactly one template
/// takes the looked-up value whole (a number stays a number).
pub fn expand(
    text: &str,
    lookup: &mut dyn FnMut(&str) -> Result<Value, String>,
) -> Result<Value, String> {
    let trimmed = text.trim();
    if let Some(name) = trimmed.strip_prefix("${").and_then(|t| t.strip_suffix('}'))
        && !name.contains("${")
        && !name.contains('}')
    {
        return lookup(name.trim());
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in {text:?}"))?;
        match lookup(after[..end].trim())? {
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

/// Names referenced by `${...}` in `text`.
pub fn references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        names.push(after[..end].trim().to_string());
        rest = &after[end + 1..];
    }
    names
}

/// A TOML value as JSON, with every string expanded.
pub fn expand_toml(
    value: &toml::Value,
    lookup: &mut dyn FnMut(&str) -> Result<Value, String>,
) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => expand(s, lookup)?,
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| expand_toml(v, lookup))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| Ok((k.clone(), expand_toml(v, lookup)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Result<Value, String> {
        match name {
            "n" => Ok(Value::from(7)),
            "s" => Ok(Value::from("abc")),
            other => Err(format!("unknown {other}")),
        }
    }

    #[test]
    fn whole_and_embedded_templates() {
        assert_eq!(expand("${n}", &mut lookup).unwrap(), Value::from(7));
        assert_eq!(
            expand("Bearer ${s}!", &mut lookup).unwrap(),
            Value::from("Bearer abc!")
        );
        assert_eq!(
            expand("${s}-${n}", &mut lookup).unwrap(),
            Value::from("abc-7")
        );
        assert_eq!(expand("${x}", &mut lookup).unwrap_err(), "unknown x");
        assert!(expand("${s", &mut lookup).is_err());
        assert_eq!(
            references("a ${fixtures.a} ${flows.f.v}"),
            ["fixtures.a", "flows.f.v"]
        );
    }
}
