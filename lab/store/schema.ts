/**
 * The run store's schema: plain PostgreSQL, the same on the embedded PGlite file and on a server
 * (`--db postgres://…`). Runs, their scenario results and every attempt of each, the crashes with
 * their buckets, and the VMs that ran them. The work queue and VM leases of a many-host lab go in
 * the same database (their own schema), and can refer to these runs and VMs.
 */
export const SCHEMA_VERSION = 1;

/** The PostgreSQL schema (namespace) the run store's tables live in, beside other users of the database. */
export const NAMESPACE = 'driverlab_store';

// One statement list, so one transaction: the advisory lock (held until it ends) lets processes that
// open one PostgreSQL store at the same moment create its tables and its version row one after the
// other. PostgreSQL's own "create schema if not exists" races with itself (a duplicate key in
// pg_namespace), and two processes could each find no version and write one.
export const SCHEMA = `
select pg_advisory_xact_lock(hashtext('${NAMESPACE} migration'));
create schema if not exists ${NAMESPACE};
set search_path to ${NAMESPACE};
create table if not exists driverlab_schema (version integer not null);

create table if not exists runs (
  id bigserial primary key,
  key text not null unique,
  started_at timestamptz,
  finished_at timestamptz not null,
  profile text not null,
  lab text not null,
  tags text,
  complete boolean not null,
  interrupted boolean not null,
  features_commit text,
  lab_commit text,
  executor jsonb,
  total integer not null,
  passed integer not null,
  failed integer not null,
  broken integer not null,
  skipped integer not null
);

create table if not exists vms (
  id bigserial primary key,
  lab text not null,
  name text not null,
  unique (lab, name)
);

create table if not exists scenario_results (
  id bigserial primary key,
  run_id bigint not null references runs(id) on delete cascade,
  history_id text not null,
  title text not null,
  feature text not null,
  scenario text not null,
  epic text,
  location text,
  tags text[] not null,
  drivers text[] not null,
  status text not null,
  flaky boolean not null,
  message text,
  duration_ms bigint,
  vm_id bigint references vms(id),
  unique (run_id, history_id)
);

create table if not exists attempts (
  id bigserial primary key,
  scenario_result_id bigint not null references scenario_results(id) on delete cascade,
  attempt integer not null,
  result_uuid text not null,
  status text not null,
  vm_id bigint references vms(id),
  started_at timestamptz,
  stopped_at timestamptz,
  message text,
  unique (scenario_result_id, attempt)
);

create table if not exists buckets (
  id text primary key,
  bugcheck text
);

create table if not exists crashes (
  id bigserial primary key,
  attempt_id bigint not null references attempts(id) on delete cascade,
  bucket_id text not null references buckets(id),
  -- the scenario expected this crash (its attempt passed): evidence, not a failure
  expected boolean not null
);

create index if not exists scenario_results_run on scenario_results(run_id);
create index if not exists crashes_bucket on crashes(bucket_id);
insert into driverlab_schema (version) select ${SCHEMA_VERSION} where not exists (select 1 from driverlab_schema);
`;
