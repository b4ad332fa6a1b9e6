//! Failover: whether a running job's restore, as its cluster reports it, shows that Flink restored it by itself
//! (a JobManager failover with HA, or a restart after a failure) — and whether what it restored is older than the
//! newest checkpoint Weir knew (Xiaohongshu's stale-position failure: the job silently went back in time).
//! A pure function of paths, table-tested; the reconciler records what it returns.

/// A restore Flink made by itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Failover {
    pub restored_from: String,
    /// Older than the newest checkpoint Weir knew.
    pub stale: bool,
}

/// `started_from`: what the job was started from ("" for nothing); `observed`: what the cluster now says it
/// restored from; `newest_known`: the newest completed checkpoint Weir recorded before this look.
pub fn judge(started_from: &str, observed: Option<&str>, newest_known: Option<&str>) -> Option<Failover> {
    let observed = observed.filter(|o| !o.is_empty())?;
    if same_path(observed, started_from) {
        return None;
    }
    let stale = match (checkpoint_of(observed), newest_known.and_then(checkpoint_of)) {
        (Some((dir, n)), Some((known_dir, known))) => dir == known_dir && n < known,
        _ => false,
    };
    Some(Failover { restored_from: observed.to_owned(), stale })
}

/// Two snapshot paths naming the same folder (`file:` prefixes and trailing slashes aside).
pub fn same_path(a: &str, b: &str) -> bool {
    normal(a) == normal(b)
}

fn normal(p: &str) -> &str {
    p.trim_start_matches("file:").trim_start_matches("//").trim_end_matches('/')
}

/// A checkpoint path's folder (the job's checkpoints) and number: `.../<job>/chk-12` → (`.../<job>`, 12).
fn checkpoint_of(path: &str) -> Option<(&str, u64)> {
    let (dir, last) = normal(path).rsplit_once('/')?;
    Some((dir, last.strip_prefix("chk-")?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judge_table() {
        let ck = |n: u32| format!("file:/cp/job1/chk-{n}");
        #[rustfmt::skip]
        type Row<'a> = (&'a str, &'a str, Option<String>, Option<String>, Option<Failover>);
        let table: Vec<Row> = vec![
            ("never restored: nothing", "", None, Some(ck(3)), None),
            ("restored from what it was started with: nothing", "/sp/savepoint-1", Some("file:/sp/savepoint-1/".into()), None, None),
            ("started empty, now restored from the newest checkpoint: a failover, not stale",
                "", Some(ck(7)), Some(ck(7)), Some(Failover { restored_from: ck(7), stale: false })),
            ("restored from a checkpoint newer than the newest known: not stale",
                "", Some(ck(9)), Some(ck(7)), Some(Failover { restored_from: ck(9), stale: false })),
            ("restored from an older checkpoint than the newest known: stale",
                "/sp/savepoint-1", Some(ck(4)), Some(ck(7)), Some(Failover { restored_from: ck(4), stale: true })),
            ("checkpoints of another folder cannot be compared: not stale",
                "", Some("file:/cp/job2/chk-1".into()), Some(ck(7)), Some(Failover { restored_from: "file:/cp/job2/chk-1".into(), stale: false })),
            ("nothing known yet: not stale", "", Some(ck(2)), None, Some(Failover { restored_from: ck(2), stale: false })),
        ];
        for (what, started, observed, known, expected) in table {
            assert_eq!(judge(started, observed.as_deref(), known.as_deref()), expected, "{what}");
        }
    }
}
