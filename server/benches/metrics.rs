//! Benchmark (not a test): the metrics history at 1,000 running jobs, against a SIMULATED Flink REST server
//! (`support/simulated_flink.rs`; a real cluster here cannot run 1,000 jobs). Prints, in one run:
//! - the sampling cost: one sample of every job by Weir (Flink calls + points + database write) against the raw
//!   Flink calls alone (the same requests, same concurrency, nothing kept), medians and their ratio, and the
//!   requests per job;
//! - the database growth: bytes per stored point, measured on the SQLite file, and from it the growth per day
//!   and the steady-state size under the default retention (raw 24 h, minutes 7 d, hours 90 d);
//! - the query time of a 7-day chart (answered with one-hour points, in a table that also holds 7 days of
//!   one-minute points of several deployments), through the engine against the bare store query.
//! Run with `make bench`. Knobs: WEIR_BENCH_JOBS (1000), WEIR_BENCH_ROUNDS (5).

#[path = "support/simulated_flink.rs"]
mod simulated_flink;

use std::time::{Duration, Instant};

use futures::StreamExt;
use sea_orm::ConnectionTrait;
use weir_engine::backends::flink_session::FlinkSession;
use weir_engine::backends::ClusterBackend;
use weir_engine::jobs::NewJob;
use weir_engine::reconciler::observe;
use weir_engine::Caller;
use weir_model::metrics::{MetricName, Resolution};

use simulated_flink::SimulatedFlink;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn file_size(path: &std::path::Path) -> u64 {
    let wal = path.with_extension("db-wal");
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let jobs: usize = std::env::var("WEIR_BENCH_JOBS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let rounds: usize = std::env::var("WEIR_BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let sim = SimulatedFlink::start(jobs).await;
    println!("metrics bench: {jobs} RUNNING jobs on a SIMULATED Flink REST server at {}", sim.url);

    let dir = tempfile::tempdir().expect("temporary folder");
    let db_path = dir.path().join("weir.db");
    let mut config = weir::config::Config::default();
    config.server.data_dir = dir.path().to_owned();
    config.database.url = format!("sqlite://{}?mode=rwc", db_path.display());
    config.clusters =
        vec![weir::config::ClusterDecl { name: "sim".into(), kind: "flink-session".into(), rest_url: Some(sim.url.clone()), settings: None }];
    config.environments = vec![weir::config::EnvironmentDecl {
        name: "bench".into(),
        cluster: "sim".into(),
        flink_config: Default::default(),
        prometheus_url: None,
    }];
    config.finish();
    // The engine without its background tasks: the bench drives the sampler itself.
    let engine = weir::server::build(&config).await.expect("build weir").engine;
    let store = engine.store().clone();
    let sys = Caller::system();
    let ns = store.find_namespace("default").await.expect("namespace").expect("the default namespace");
    let env = store.find_environment("bench").await.expect("environment").expect("bench environment");
    let cluster = store.find_cluster("sim").await.expect("cluster").expect("sim cluster");
    let started = Instant::now();
    let mut deployments = Vec::with_capacity(jobs);
    for (i, flink_id) in sim.job_ids.iter().enumerate() {
        let name = format!("j{i}");
        let new = NewJob { name: name.clone(), kind: "sql".into(), description: String::new() };
        engine.create_job(&sys, "default", new).await.expect("job");
        let job = store.find_job(ns.id, &name).await.expect("job row").expect("job");
        let d = store.deployment_for(job.id, env.id).await.expect("deployment");
        store.track_job(d.id, flink_id, "").await.expect("track");
        deployments.push(d.id);
    }
    println!("  set-up: {jobs} deployments in {:.1} s", started.elapsed().as_secs_f64());

    // --- sampling cost ------------------------------------------------------------------------------
    let backend = FlinkSession::new(reqwest::Client::new(), &sim.url, Duration::from_secs(10));
    let (mut raw, mut weir, mut points_per_sample) = (Vec::new(), Vec::new(), 0usize);
    let size_before = file_size(&db_path);
    let mut stored = 0usize;
    let calls_before = sim.requests();
    for round in 0..rounds {
        // Raw: the same Flink calls at the same concurrency, nothing kept.
        let t = Instant::now();
        let ids = sim.job_ids.clone();
        let backend_ref = &backend;
        let answered = futures::stream::iter(ids)
            .map(|id| async move { backend_ref.job_metrics(&id).await.is_ok() })
            .buffer_unordered(8)
            .filter(|ok| futures::future::ready(*ok))
            .count()
            .await;
        raw.push(t.elapsed());
        assert_eq!(answered, jobs, "the simulated Flink answered every job");
        // Weir: a fresh look (its own instant), then one sample of every running job.
        let look = std::sync::Arc::new(observe::look(cluster.id, "sim", &backend, true, None).await);
        let t = Instant::now();
        let written = engine.sample_metrics(look).await.expect("sample");
        weir.push(t.elapsed());
        points_per_sample = written;
        stored += written;
        if round == 0 {
            println!("  one sample writes {written} points ({:.1} per job)", written as f64 / jobs as f64);
        }
    }
    let calls = (sim.requests() - calls_before) as f64 / (rounds as f64 * 2.0 * jobs as f64);
    let (raw_m, weir_m) = (median(raw), median(weir));
    println!(
        "  sampling {jobs} jobs: raw Flink calls {:.0} ms, Weir (calls + points + write) {:.0} ms, ratio {:.2}x; \
         {calls:.1} Flink requests per job per sample",
        ms(raw_m),
        ms(weir_m),
        weir_m.as_secs_f64() / raw_m.as_secs_f64()
    );
    let interval_s = 15.0;
    println!(
        "  at the default 15 s interval the sampler is busy {:.0}% of the time for {jobs} jobs",
        100.0 * weir_m.as_secs_f64() / interval_s
    );

    // --- database growth -----------------------------------------------------------------------------
    let _ = store.db().execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await;
    let grown = file_size(&db_path).saturating_sub(size_before);
    let per_point = grown as f64 / stored.max(1) as f64;
    let samples_per_day = 86_400.0 / interval_s;
    let series = points_per_sample as f64;
    let raw_per_day = series * samples_per_day;
    let gb = |points: f64| points * per_point / 1e9;
    println!(
        "  storage: {per_point:.0} bytes per point (SQLite file, {stored} points); {series:.0} series -> \
         raw {:.1} M points/day = {:.2} GB/day written",
        raw_per_day / 1e6,
        gb(raw_per_day)
    );
    let steady = raw_per_day + series * 1440.0 * 7.0 + series * 24.0 * 90.0;
    println!(
        "  steady state under the default retention (raw 24 h + minutes 7 d + hours 90 d): {:.1} M points, {:.2} GB",
        steady / 1e6,
        gb(steady)
    );

    // --- a 7-day chart --------------------------------------------------------------------------------
    let now = chrono::Utc::now().timestamp_millis();
    let from = now - 7 * 24 * 3_600_000;
    let charted: Vec<i64> = deployments.iter().take(8).copied().collect();
    let names: Vec<MetricName> = MetricName::ALL.to_vec();
    let t = Instant::now();
    let mut rows = 0usize;
    for d in &charted {
        let mut batch = Vec::new();
        for minute in 0..(7 * 1440) {
            let ts = from - from % 60_000 + minute * 60_000;
            for n in &names {
                batch.push(format!("({d}, '1m', '{}', '', {ts}, {})", n.as_str(), (minute % 97) as f64));
                if minute % 60 == 0 {
                    batch.push(format!("({d}, '1h', '{}', '', {ts}, {})", n.as_str(), (minute % 97) as f64));
                }
            }
            if batch.len() >= 2000 {
                insert(&store, &mut batch).await;
            }
        }
        insert(&store, &mut batch).await;
        rows += 7 * 1440 * names.len() + 7 * 24 * names.len();
    }
    println!(
        "  7-day chart: {rows} one-minute and one-hour points of {} deployments written in {:.1} s",
        charted.len(),
        t.elapsed().as_secs_f64()
    );
    let (mut via_engine, mut bare) = (Vec::new(), Vec::new());
    let mut answered = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let m = engine
            .deployment_metrics(&sys, "default", "j0", "bench", None, Some(from), Some(now))
            .await
            .expect("7-day metrics");
        via_engine.push(t.elapsed());
        // Seven days are answered with hourly points (minutes answer up to three days).
        assert_eq!(m.resolution, Resolution::Hour);
        answered = m.series.iter().map(|s| s.points.len()).sum();
        let t = Instant::now();
        let p = store.points(charted[0], &names, Resolution::Hour, from, now).await.expect("points");
        bare.push(t.elapsed());
        assert!(!p.is_empty());
    }
    let (e, b) = (median(via_engine), median(bare));
    println!(
        "  7-day chart of every measure ({answered} points): engine {:.1} ms, bare store query {:.1} ms, ratio {:.2}x",
        ms(e),
        ms(b),
        e.as_secs_f64() / b.as_secs_f64()
    );
}

async fn insert(store: &weir_engine::store::Store, batch: &mut Vec<String>) {
    if batch.is_empty() {
        return;
    }
    let sql = format!(
        "INSERT INTO metric_points (deployment_id, resolution, name, vertex, ts, value) VALUES {} ON CONFLICT DO NOTHING",
        batch.join(",")
    );
    store.db().execute_unprepared(&sql).await.expect("insert minute points");
    batch.clear();
}
