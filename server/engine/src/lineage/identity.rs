//! A dataset's identity from its table's options, named as OpenLineage names datasets (Kafka
//! `kafka://host:port` + topic, JDBC `postgres://host:port` + `db.schema.table`, files `file` + path, ...), so
//! two scripts that name one topic or path with different table names meet at one dataset; and the masking of
//! option values that look secret. Pure functions.

use std::collections::BTreeMap;

use weir_model::lineage::DatasetId;

/// What is shown instead of a secret-looking option value.
pub const MASK: &str = "******";

/// Where a table lives when its connector writes nowhere others can read (datagen, print, blackhole, an
/// unknown connector without a location): the job that declares it, so such tables never join two jobs.
#[derive(Clone, Debug)]
pub struct Scope<'a> {
    pub namespace: &'a str,
    pub job: &'a str,
}

/// The dataset a Flink table stands for. `path` is the table's `catalog.database.table`.
pub fn dataset_id(path: &str, options: &BTreeMap<String, String>, scope: &Scope<'_>) -> DatasetId {
    let connector = options.get("connector").map(|c| c.trim().to_ascii_lowercase()).unwrap_or_default();
    let get = |k: &str| options.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let found = match connector.as_str() {
        "kafka" | "upsert-kafka" => kafka(get("properties.bootstrap.servers"), get("topic").or(get("topic-pattern"))),
        "jdbc" => get("url").and_then(|url| jdbc(url, get("table-name")?)),
        "filesystem" => get("path").map(file),
        c if c.starts_with("elasticsearch") || c.starts_with("opensearch") => {
            let host = get("hosts").and_then(|h| h.split(';').next()).map(str::trim);
            match (host, get("index")) {
                (Some(h), Some(i)) => Some(DatasetId { namespace: strip_slash(h).to_owned(), name: i.to_owned() }),
                _ => None,
            }
        }
        "hbase-2.2" | "hbase-1.4" | "hbase" => match (get("zookeeper.quorum"), get("table-name")) {
            (Some(q), Some(t)) => Some(DatasetId { namespace: format!("hbase://{}", first(q)), name: t.to_owned() }),
            _ => None,
        },
        "mongodb" => match (get("uri"), get("database"), get("collection")) {
            (Some(u), Some(d), Some(c)) => {
                Some(DatasetId { namespace: format!("mongodb://{}", authority(u)), name: format!("{d}.{c}") })
            }
            _ => None,
        },
        _ => None,
    };
    found.unwrap_or_else(|| DatasetId {
        namespace: format!("weir://{}/{}", scope.namespace, scope.job),
        name: path.to_owned(),
    })
}

fn first(list: &str) -> &str {
    list.split([',', ';']).next().unwrap_or(list).trim()
}

fn strip_slash(s: &str) -> &str {
    s.trim_end_matches('/')
}

/// `scheme://user:pw@host:port/rest` → `host:port`.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host)
}

fn kafka(servers: Option<&str>, topic: Option<&str>) -> Option<DatasetId> {
    Some(DatasetId { namespace: format!("kafka://{}", first(servers?)), name: topic?.to_owned() })
}

/// `jdbc:postgresql://h:5432/db?x` + `schema.table` → `postgres://h:5432` + `db.schema.table` (schema `public`
/// when not given); MySQL: `mysql://h:3306` + `db.table`; other drivers: their scheme.
fn jdbc(url: &str, table: &str) -> Option<DatasetId> {
    let rest = url.strip_prefix("jdbc:")?;
    let (scheme, after) = rest.split_once("://")?;
    let host = authority(rest);
    let path = after.split_once('/').map(|(_, p)| p).unwrap_or("");
    let database = path.split(['?', ';', '/']).next().unwrap_or("");
    let (namespace, name) = match scheme {
        "postgresql" | "postgres" => {
            let table = if table.contains('.') { table.to_owned() } else { format!("public.{table}") };
            (format!("postgres://{host}"), format!("{database}.{table}"))
        }
        "mysql" | "mariadb" => (format!("{scheme}://{host}"), format!("{database}.{table}")),
        other => (
            format!("{other}://{host}"),
            if database.is_empty() { table.to_owned() } else { format!("{database}.{table}") },
        ),
    };
    Some(DatasetId { namespace, name })
}

/// `file:///tmp/x/`, `/tmp/x` → `file` + `/tmp/x`; `s3://bucket/key` → `s3://bucket` + `key`;
/// `hdfs://nn:8020/p` → `hdfs://nn:8020` + `/p`.
fn file(path: &str) -> DatasetId {
    let path = path.trim();
    let trimmed = |p: &str| {
        let p = p.trim_end_matches('/');
        if p.is_empty() { "/".to_owned() } else { p.to_owned() }
    };
    if let Some(local) = path.strip_prefix("file://") {
        return DatasetId { namespace: "file".into(), name: trimmed(local) };
    }
    if let Some((scheme, rest)) = path.split_once("://") {
        let (host, key) = rest.split_once('/').unwrap_or((rest, ""));
        let name = match scheme {
            "s3" | "s3a" | "s3n" | "gs" | "oss" | "abfs" | "abfss" | "wasb" | "wasbs" => trimmed(key),
            _ => trimmed(&format!("/{key}")),
        };
        let scheme = if scheme.starts_with("s3") { "s3" } else { scheme };
        return DatasetId { namespace: format!("{scheme}://{host}"), name };
    }
    DatasetId { namespace: "file".into(), name: trimmed(path) }
}

/// Whether an option's value should never be shown: keys naming a password, secret, token, credentials, a
/// JAAS config, or ending in a key (`s3.access-key`, `api_key`, `apikey`) — not `key.format`/`key.fields`.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    if ["password", "passwd", "secret", "token", "credential", "jaas", "private"].iter().any(|w| k.contains(w)) {
        return true;
    }
    let words: Vec<&str> = k.split(['.', '-', '_']).filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [.., before, "key"] => matches!(*before, "access" | "api" | "secret" | "account" | "encryption" | "auth"),
        [.., last] => last.ends_with("key") && *last != "key",
        [] => false,
    }
}

/// The options with secret-looking values masked, and a password inside a URL's query or userinfo hidden too.
pub fn mask_options(options: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    options
        .iter()
        .map(|(k, v)| {
            let shown = if is_secret(k) { MASK.to_owned() } else { mask_url(v) };
            (k.clone(), shown)
        })
        .collect()
}

/// `scheme://user:pw@host` → `scheme://user:******@host`; `?password=x&` → `?password=******&`.
pub fn mask_url(value: &str) -> String {
    let mut out = value.to_owned();
    if let Some((scheme, rest)) = value.split_once("://") {
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let auth = &rest[..authority_end];
        if let Some((userinfo, host)) = auth.rsplit_once('@') {
            if let Some((user, _)) = userinfo.split_once(':') {
                out = format!("{scheme}://{user}:{MASK}@{host}{}", &rest[authority_end..]);
            }
        }
    }
    let mut masked = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find(['?', '&', ';']) {
        masked.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let end = rest.find(['&', ';', '#']).unwrap_or(rest.len());
        let (pair, tail) = rest.split_at(end);
        match pair.split_once('=') {
            Some((k, _)) if is_secret(k) => {
                masked.push_str(k);
                masked.push('=');
                masked.push_str(MASK);
            }
            _ => masked.push_str(pair),
        }
        rest = tail;
    }
    masked.push_str(rest);
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn id(ns: &str, name: &str) -> DatasetId {
        DatasetId { namespace: ns.into(), name: name.into() }
    }

    #[test]
    fn identities_follow_openlineage_naming() {
        let scope = Scope { namespace: "team", job: "enrich" };
        let cases: &[(&[(&str, &str)], DatasetId)] = &[
            (
                &[("connector", "kafka"), ("topic", "orders"), ("properties.bootstrap.servers", "k1:9092,k2:9092")],
                id("kafka://k1:9092", "orders"),
            ),
            (
                &[("connector", "upsert-kafka"), ("topic", "totals"), ("properties.bootstrap.servers", " k:9092 ")],
                id("kafka://k:9092", "totals"),
            ),
            (
                &[("connector", "jdbc"), ("url", "jdbc:postgresql://db:5432/shop?ssl=true"), ("table-name", "users")],
                id("postgres://db:5432", "shop.public.users"),
            ),
            (
                &[("connector", "jdbc"), ("url", "jdbc:postgresql://db:5432/shop"), ("table-name", "crm.users")],
                id("postgres://db:5432", "shop.crm.users"),
            ),
            (
                &[("connector", "jdbc"), ("url", "jdbc:mysql://u:p@my:3306/shop"), ("table-name", "users")],
                id("mysql://my:3306", "shop.users"),
            ),
            (&[("connector", "filesystem"), ("path", "/tmp/weir-lineage/events/")], id("file", "/tmp/weir-lineage/events")),
            (&[("connector", "filesystem"), ("path", "file:///tmp/weir-lineage/events")], id("file", "/tmp/weir-lineage/events")),
            (&[("connector", "filesystem"), ("path", "s3a://bucket/dir/x")], id("s3://bucket", "dir/x")),
            (&[("connector", "filesystem"), ("path", "hdfs://nn:8020/data/x")], id("hdfs://nn:8020", "/data/x")),
            (
                &[("connector", "elasticsearch-7"), ("hosts", "http://es:9200"), ("index", "users")],
                id("http://es:9200", "users"),
            ),
            // Nothing outside the job: scoped to it, under its Flink table path.
            (&[("connector", "datagen")], id("weir://team/enrich", "default_catalog.default_database.t")),
            (&[("connector", "kafka"), ("topic", "no-servers")], id("weir://team/enrich", "default_catalog.default_database.t")),
            (&[], id("weir://team/enrich", "default_catalog.default_database.t")),
        ];
        for (options, want) in cases {
            assert_eq!(&dataset_id("default_catalog.default_database.t", &opts(options), &scope), want, "{options:?}");
        }
    }

    #[test]
    fn secrets_are_recognised_by_key() {
        for key in [
            "password",
            "properties.sasl.jaas.config",
            "properties.ssl.keystore.password",
            "s3.access-key",
            "s3.secret-key",
            "api_key",
            "apikey",
            "fs.azure.account.key",
            "token",
            "credentials",
        ] {
            assert!(is_secret(key), "{key} should be secret");
        }
        for key in ["key.format", "key.fields", "value.format", "topic", "url", "username", "table-name", "path", "primary.key"] {
            assert!(!is_secret(key), "{key} should be shown");
        }
    }

    #[test]
    fn masking_hides_values_and_url_passwords() {
        let masked = mask_options(&opts(&[
            ("password", "hunter2"),
            ("url", "jdbc:mysql://my:3306/shop?user=a&password=hunter2&ssl=true"),
            ("hosts", "http://elastic:hunter2@es:9200/x"),
            ("topic", "orders"),
        ]));
        assert_eq!(masked["password"], MASK);
        assert_eq!(masked["url"], "jdbc:mysql://my:3306/shop?user=a&password=******&ssl=true");
        assert_eq!(masked["hosts"], "http://elastic:******@es:9200/x");
        assert_eq!(masked["topic"], "orders");
        assert!(!format!("{masked:?}").contains("hunter2"));
    }
}
