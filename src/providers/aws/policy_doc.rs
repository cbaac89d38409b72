//! IAM policy documents: the two forge writes (read-only access to the L2C bucket, and
//! a role trust that lets one principal assume the role with an external id) and how
//! documents read back are compared.
//!
//! IAM returns documents URL-encoded, and may give back a one-element list as a plain
//! string or reorder a list. [`normalize`] makes such documents equal, so a plan never
//! shows a change that is only spelling.

use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

/// The actions Snowflake needs on a read-only external volume (`ALLOW_WRITES = FALSE`):
/// read objects and their versions, list the bucket, find its region. Nothing that
/// writes or deletes.
pub const READ_OBJECT_ACTIONS: [&str; 2] = ["s3:GetObject", "s3:GetObjectVersion"];
/// The bucket-level actions of the same policy.
pub const READ_BUCKET_ACTIONS: [&str; 2] = ["s3:ListBucket", "s3:GetBucketLocation"];

/// Read-only access to `bucket` (every key): what an external volume with
/// `ALLOW_WRITES = FALSE` needs and no more.
pub fn bucket_read(partition: &str, bucket: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadTables",
                "Effect": "Allow",
                "Action": READ_OBJECT_ACTIONS,
                "Resource": format!("arn:{partition}:s3:::{bucket}/*"),
            },
            {
                "Sid": "ListBucket",
                "Effect": "Allow",
                "Action": READ_BUCKET_ACTIONS,
                "Resource": format!("arn:{partition}:s3:::{bucket}"),
            }
        ]
    })
}

/// A trust letting `principal` (an IAM user or account ARN) assume the role when it
/// presents `external_id`.
pub fn trust(principal: &str, external_id: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "SnowflakeAccess",
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
        }]
    })
}

/// A document as IAM returns it (URL-encoded JSON, or plain JSON from some emulators).
pub fn decode(text: &str) -> Result<Value, String> {
    let decoded = percent_decode_str(text)
        .decode_utf8()
        .map_err(|e| format!("the policy document is not UTF-8 once decoded: {e}"))?;
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(text))
        .map_err(|e| format!("the policy document is not JSON: {e}"))
}

/// `doc` with every list that IAM treats as a set sorted and every one-element list
/// written as a list, so equal documents compare equal.
pub fn normalize(doc: &Value) -> Value {
    match doc {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("Statement", Value::Object(_)) => Value::Array(vec![normalize(v)]),
                        ("Statement", _) => normalize(v),
                        (_, Value::String(_)) if is_set(k) => Value::Array(vec![v.clone()]),
                        (_, Value::Array(items)) if is_set(k) => {
                            let mut items: Vec<Value> = items.iter().map(normalize).collect();
                            items.sort_by_key(|a| a.to_string());
                            items.dedup();
                            Value::Array(items)
                        }
                        _ => normalize(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// Keys whose values IAM treats as sets: actions, resources, principals and the values
/// of a condition.
fn is_set(key: &str) -> bool {
    matches!(
        key,
        "Action" | "NotAction" | "Resource" | "NotResource" | "AWS" | "Service" | "Federated"
    ) || key.contains(':')
}

/// The principal and external id of a trust forge wrote (its first statement), if the
/// document has that shape.
pub fn trusted(doc: &Value) -> (Option<String>, Option<String>) {
    let st = match doc.get("Statement") {
        Some(Value::Array(a)) => a.first(),
        Some(v @ Value::Object(_)) => Some(v),
        _ => None,
    };
    let Some(st) = st else {
        return (None, None);
    };
    let one = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) if a.len() == 1 => a[0].as_str().map(str::to_string),
        _ => None,
    };
    let principal = one(st.get("Principal").and_then(|p| p.get("AWS")));
    let external_id = one(st
        .get("Condition")
        .and_then(|c| c.get("StringEquals"))
        .and_then(|c| c.get("sts:ExternalId")));
    (principal, external_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_iam_respelled_is_the_same_document() {
        let ours = bucket_read("aws", "b");
        // What IAM gives back: URL-encoded, one-element lists as strings, lists reordered.
        let theirs = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadTables","Effect":"Allow","Action":["s3:GetObjectVersion","s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]},{"Sid":"ListBucket","Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":"arn:aws:s3:::b"}]}"#;
        let encoded: String =
            percent_encoding::utf8_percent_encode(theirs, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let read = decode(&encoded).expect("decodes");
        assert_eq!(normalize(&read), normalize(&ours));
        let other = bucket_read("aws", "c");
        assert_ne!(normalize(&read), normalize(&other));
    }

    #[test]
    fn the_policy_grants_reading_only() {
        let doc = bucket_read("aws", "b").to_string();
        for w in ["PutObject", "DeleteObject", "s3:*"] {
            assert!(!doc.contains(w), "{w} in {doc}");
        }
    }

    #[test]
    fn the_trusted_principal_and_external_id_are_read_back() {
        let t = trust("arn:aws:iam::123456789012:user/sf", "ext-1");
        assert_eq!(
            trusted(&t),
            (
                Some("arn:aws:iam::123456789012:user/sf".into()),
                Some("ext-1".into())
            )
        );
        assert_eq!(trusted(&json!({})), (None, None));
        let encoded = percent_encoding::utf8_percent_encode(
            &t.to_string(),
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        assert_eq!(normalize(&decode(&encoded).expect("decode")), normalize(&t));
    }
}
